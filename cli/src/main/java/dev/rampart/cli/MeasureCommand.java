package dev.rampart.cli;

import dev.rampart.attestation.snp.SnpLaunchDigest;
import dev.rampart.coordinator.Measurement;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart measure}: the coordinator's measurement, for policy files. */
@Command(name = "measure", mixinStandardHelpOptions = true, subcommands = MeasureCommand.Snp.class, description = {
    "Prints the coordinator's measurement: SHA-384 over this runnable artifact (rampart.jar and every jar of its",
    "class path). The build is reproducible, so rebuilding the same commit gives the same value: pin it in the",
    "'measurements' of a policy file for the simulated TEE. 'measure snp' computes what a real SEV-SNP guest reports."})
final class MeasureCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    spec.commandLine().getOut().println("measurement=" + HexFormat.of().formatHex(
        Measurement.ofRunningArtifact(RampartCli.class)));
    return ExitCodes.SUCCESS;
  }

  /** {@code rampart measure snp}: the SEV-SNP launch digest of a confidential VM's boot inputs. */
  @Command(name = "snp", mixinStandardHelpOptions = true, description = {
      "Prints measurement=<96 hex>: the SEV-SNP launch digest (the report's MEASUREMENT) of a guest booted from",
      "this OVMF, with this kernel, initrd and command line (measured direct boot), vCPUs and VMM, computed from",
      "AMD's SNP firmware ABI and OVMF's SEV metadata. Pin it in the 'measurements' of an SEV-SNP policy. Exit 2:",
      "inputs that cannot be measured (the reason is printed)."})
  static final class Snp implements Callable<Integer> {
    /** Firmware images are a few MiB; this bounds what is read into memory. */
    static final long MAX_OVMF_BYTES = 64L << 20;

    @Spec CommandSpec spec;

    @Option(names = "--ovmf", required = true, paramLabel = "FILE", description = "The OVMF firmware image.")
    Path ovmf;

    @Option(names = "--kernel", paramLabel = "FILE", description = "The kernel, for a measured direct boot.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "The initrd (with --kernel).")
    Path initrd;

    @Option(names = "--append", paramLabel = "STR", description = "The kernel command line (with --kernel).")
    String append;

    @Option(names = "--vcpus", required = true, paramLabel = "N", description = "The number of vCPUs.")
    int vcpus;

    @Option(names = "--vcpu-type", paramLabel = "TYPE",
        description = "QEMU's CPU model, e.g. EPYC-v4, EPYC-Milan, EPYC-Genoa (default: none, signature 0).")
    String vcpuType;

    @Option(names = "--guest-features", defaultValue = "0x1", paramLabel = "HEX",
        description = "The SEV features the guest runs with (default 0x1: SNP alone; QEMU's default set is 0x21).")
    String guestFeatures;

    @Option(names = "--vmm", defaultValue = "qemu", paramLabel = "qemu|ec2|gce",
        description = "The VMM that launches the guest (default qemu).")
    String vmm;

    @Option(names = "--ovmf-hash", paramLabel = "HEX",
        description = "The launch digest of the firmware's pages, precomputed (96 hex); the image is still read"
            + " for its metadata.")
    String ovmfHash;

    @Override
    public Integer call() throws Exception {
      SnpLaunchDigest.Vmm v;
      try {
        v = SnpLaunchDigest.Vmm.parse(vmm);
      } catch (IllegalArgumentException e) {
        throw Arguments.bad(spec, "--vmm: " + e.getMessage());
      }
      long sig = 0;
      if (vcpuType != null) {
        Long s = SnpLaunchDigest.VCPU_TYPES.get(vcpuType);
        if (s == null) {
          throw Arguments.bad(spec, "--vcpu-type " + vcpuType + " is unknown; known: "
              + String.join(", ", new TreeSet<>(SnpLaunchDigest.VCPU_TYPES.keySet())));
        }
        sig = s;
      }
      long features;
      try {
        features = Long.decode(guestFeatures.startsWith("0x") || guestFeatures.startsWith("0X") ? guestFeatures
            : "0x" + guestFeatures);
      } catch (NumberFormatException e) {
        throw Arguments.bad(spec, "--guest-features must be hexadecimal (e.g. 0x1), got " + guestFeatures);
      }
      byte[] given = null;
      if (ovmfHash != null) {
        if (!ovmfHash.matches("[0-9a-fA-F]{96}")) {
          throw Arguments.bad(spec, "--ovmf-hash must be 96 hex digits (a SHA-384 launch digest)");
        }
        given = HexFormat.of().parseHex(ovmfHash);
      }
      if (kernel == null && (initrd != null || append != null)) {
        throw Arguments.bad(spec, "--initrd and --append are measured only with --kernel");
      }
      byte[] image = read(ovmf, "--ovmf");
      SnpLaunchDigest.Inputs in = new SnpLaunchDigest.Inputs(image, given, kernel == null ? null : sha256(kernel,
          "--kernel"), initrd == null ? null : sha256(initrd, "--initrd"), append, vcpus, sig, features, v);
      try {
        spec.commandLine().getOut().println("measurement=" + SnpLaunchDigest.hex(SnpLaunchDigest.compute(in)));
      } catch (SnpLaunchDigest.MeasurementException e) {
        throw Arguments.bad(spec, e.getMessage());
      }
      return ExitCodes.SUCCESS;
    }

    private byte[] read(Path file, String option) {
      try {
        long size = Files.size(file);
        if (size > MAX_OVMF_BYTES) {
          throw Arguments.bad(spec, option + " " + file + " is " + size + " bytes; an OVMF image is at most "
              + MAX_OVMF_BYTES);
        }
        return Files.readAllBytes(file);
      } catch (IOException e) {
        throw Arguments.bad(spec, option + " " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
      }
    }

    private byte[] sha256(Path file, String option) {
      MessageDigest d = SnpLaunchDigest.sha256();
      byte[] buf = new byte[1 << 16];
      try (InputStream in = Files.newInputStream(file)) {
        for (int n; (n = in.read(buf)) > 0; ) {
          d.update(buf, 0, n);
        }
      } catch (IOException e) {
        throw Arguments.bad(spec, option + " " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
      }
      return d.digest();
    }
  }
}
