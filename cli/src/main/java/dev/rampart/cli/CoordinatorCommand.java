package dev.rampart.cli;

import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.coordinator.CoordinatorMain;
import dev.rampart.coordinator.Measurement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart coordinator start}: the coordinator in the foreground. */
@Command(name = "coordinator", description = "Run the coordinator (inside the TEE).",
    subcommands = {CoordinatorCommand.Start.class})
final class CoordinatorCommand {
  @Command(name = "start", mixinStandardHelpOptions = true, description = {
      "Starts the coordinator in the foreground: gRPC over TLS 1.3 with a fresh TLS key made at boot, attested by",
      "the TEE. Logs go to stdout; SIGTERM stops it. Prints 'listening=HOST:PORT' once it accepts calls."})
  static final class Start implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--state-dir", required = true, paramLabel = "DIR",
        description = "Sealed datasets, journal and (simulation) keys; created with mode 0700.")
    Path stateDir;

    @Option(names = "--listen", defaultValue = "127.0.0.1:7443", paramLabel = "HOST:PORT",
        description = "Address to listen on (default ${DEFAULT-VALUE}; port 0 picks a free one).")
    String listen;

    @Option(names = "--tee", defaultValue = "simulated", paramLabel = "simulated|sev-snp|tdx",
        description = "The TEE: simulated (INSECURE, development), sev-snp or tdx (configfs-tsm). Default ${DEFAULT-VALUE}.")
    String tee;

    @Option(names = "--admin-key", paramLabel = "FILE",
        description = "The first admin's cert.pem (from 'rampart keys new'); enrolled at boot.")
    Path adminKey;

    @Option(names = "--sealing-key", paramLabel = "FILE",
        description = "tdx (required), sev-snp (optional): the sealing key file a key broker provides (never on the"
            + " host's disk); without it sev-snp derives its keys from the firmware, bound to the measurement.")
    Path sealingKey;

    @Option(names = "--tdx-collateral", paramLabel = "FILE",
        description = "tdx: Intel's TCB info, QE identity and CRLs for this platform (dcap-qvl's JSON, from Intel's"
            + " PCS or a PCCS), carried in every evidence bundle; keep it fresh (read at every attestation).")
    Path tdxCollateral;

    @Option(names = "--snp-certs", paramLabel = "DIR",
        description = "sev-snp: a directory with this chip's vcek.der (or vcek.pem, vlek.der, vlek.pem), used instead"
            + " of the host's certificate table (needed where the host provides none).")
    Path snpCerts;

    @Option(names = "--write-policy", paramLabel = "FILE",
        description = "Simulated TEE: write a policy file that pins this coordinator's simulated root and measurement"
            + " (what owners would write from a reproducible build), then run.")
    Path writePolicy;

    @Option(names = "--job-threads", defaultValue = "1", paramLabel = "N",
        description = "Training jobs run at once (default ${DEFAULT-VALUE}: each job already uses every core).")
    int jobThreads;

    @Option(names = "--tsm-root", paramLabel = "DIR", hidden = true,
        description = "configfs-tsm report directory (default /sys/kernel/config/tsm/report).")
    Path tsmRoot;

    @Override
    public Integer call() throws Exception {
      int colon = listen.lastIndexOf(':');
      int port;
      try {
        port = Integer.parseInt(listen.substring(colon + 1));
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        throw Arguments.bad(spec, "--listen must be HOST:PORT, got '" + listen + "'");
      }
      if (colon <= 0 || port < 0 || port > 65535) {
        throw Arguments.bad(spec, "--listen must be HOST:PORT with a port in 0-65535, got '" + listen + "'");
      }
      if (!tee.equals("simulated") && !tee.equals("sev-snp") && !tee.equals("tdx")) {
        throw Arguments.bad(spec, "--tee must be simulated, sev-snp or tdx, got '" + tee + "'");
      }
      if (jobThreads < 1 || jobThreads > 64) {
        throw Arguments.bad(spec, "--job-threads must be 1-64, got " + jobThreads);
      }
      if (adminKey != null && !Files.isRegularFile(adminKey)) {
        throw Arguments.bad(spec, "--admin-key " + adminKey + " does not exist (make one: rampart keys new --out DIR"
            + " --name admin; pass DIR/cert.pem)");
      }
      Logs.to(System.out);
      // what the simulated TEE reports; a real TEE reports its own measurement, which the boot takes from the evidence
      byte[] measurement = Measurement.ofRunningArtifact(RampartCli.class);
      CoordinatorConfig.Builder b = CoordinatorConfig.builder(stateDir, measurement)
          .listen(listen.substring(0, colon), port).tee(tee).adminCertificate(adminKey).sealingKeyFile(sealingKey).jobThreads(jobThreads);
      if (tsmRoot != null) {
        b.tsmRoot(tsmRoot);
      }
      if (tdxCollateral != null) {
        if (!tee.equals("tdx")) {
          throw Arguments.bad(spec, "--tdx-collateral is for --tee tdx");
        }
        b.tdxCollateral(tdxCollateral);
      }
      if (snpCerts != null) {
        if (!tee.equals("sev-snp")) {
          throw Arguments.bad(spec, "--snp-certs is for --tee sev-snp");
        }
        b.snpCerts(snpCerts);
      }
      if (writePolicy != null) {
        if (!tee.equals("simulated")) {
          throw Arguments.bad(spec, "--write-policy is for the simulated TEE; for sev-snp pin the launch digest of"
              + " the confidential VM's boot inputs (rampart measure snp), for tdx the digest the TDX module reports");
        }
        Files.createDirectories(writePolicy.toAbsolutePath().getParent());
        Files.writeString(writePolicy, dev.rampart.attestation.simulated.SimulatedTee
            .loadOrCreate(stateDir.resolve("simulated-tee")).policyJson(measurement));
      }
      try {
        CoordinatorMain.runUntilStopped(b.build(), System.out);
      } catch (java.io.IOException e) {
        spec.commandLine().getErr().println("rampart coordinator start: " + e.getMessage());
        return ExitCodes.USAGE;
      }
      return ExitCodes.SUCCESS;
    }
  }
}
