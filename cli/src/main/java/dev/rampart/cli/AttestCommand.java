package dev.rampart.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.AttestationVerifier;
import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import dev.rampart.attestation.PolicyException;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.attestation.simulated.SimulatedTee;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart attest …}: verify TEE evidence, and make simulated evidence for development. */
@Command(
    name = "attest",
    mixinStandardHelpOptions = true,
    description = "Remote attestation: verify SEV-SNP, Nitro, TDX and simulated evidence against a policy.",
    subcommands = {AttestCommand.Verify.class, AttestCommand.Simulate.class})
final class AttestCommand implements Runnable {
  @Spec CommandSpec spec;

  /** Files an attestation command reads are small; anything larger is not what it claims to be. */
  private static final long MAX_INPUT_BYTES = 4L << 20;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static byte[] readInput(CommandSpec spec, String option, Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_INPUT_BYTES) {
        throw Arguments.bad(spec, option + " " + file + " is " + size + " bytes; expected at most " + MAX_INPUT_BYTES);
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw Arguments.bad(spec, option + " " + file + ": no such file");
    } catch (IOException e) {
      throw Arguments.bad(spec, option + " " + file + ": cannot read (" + e.getMessage() + ")");
    }
  }

  static byte[] hex(CommandSpec spec, String option, String value, int expectedLength) {
    try {
      byte[] b = HexFormat.of().parseHex(value.strip());
      if (expectedLength > 0 && b.length != expectedLength) {
        throw Arguments.bad(spec, option + " must be " + expectedLength + " bytes (" + 2 * expectedLength
            + " hex characters), got " + b.length);
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw Arguments.bad(spec, option + " must be hex, got '" + value + "'");
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Verifies evidence (raw, hex or base64; the platform is detected from the content) against a policy.",
        "Prints one JSON object: {\"valid\", \"platform\", \"insecure\", \"measurement\", \"reportData\","
            + " \"tcbStatus\", \"failures\": [{\"check\", \"detail\"}], \"warnings\"}.",
        "Exit 0 if valid, 1 if invalid, 2 if the input is unusable."
      })
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--policy", required = true, paramLabel = "FILE", description = "Policy JSON (reference values).")
    Path policy;

    @Option(names = "--evidence", required = true, paramLabel = "FILE", description = "The evidence.")
    Path evidence;

    @Option(names = "--vcek", paramLabel = "FILE", description = "SEV-SNP: the VCEK or VLEK certificate (DER or PEM).")
    Path vcek;

    @Option(names = "--chain", paramLabel = "FILE",
        description = "SEV-SNP: PEM bundle, ASK (or ASVK) then ARK; default: AMD's built-in chains.")
    Path chain;

    @Option(names = "--collateral", paramLabel = "FILE", description = "TDX: the JSON collateral.")
    Path collateral;

    @Option(names = "--at", paramLabel = "INSTANT",
        description = "Verification time, ISO-8601 (e.g. 2025-06-01T00:00:00Z); default: now.")
    String at;

    @Option(names = "--nonce", paramLabel = "HEX", description = "The 32-byte nonce sent to the attester.")
    String nonce;

    @Option(names = "--spki", paramLabel = "FILE", description = "The peer's TLS public key, SubjectPublicKeyInfo DER.")
    Path spki;

    @Override
    public Integer call() {
      Instant when;
      try {
        when = at == null ? Instant.now() : Instant.parse(at);
      } catch (DateTimeParseException e) {
        throw Arguments.bad(spec, "--at must be an ISO-8601 instant like 2025-06-01T00:00:00Z, got '" + at + "'");
      }
      byte[] expectedNonce = nonce == null ? null : hex(spec, "--nonce", nonce, 32);
      byte[] expectedSpki = spki == null ? null : readInput(spec, "--spki", spki);
      AttestationPolicy p;
      try {
        p = AttestationPolicy.parse(readInput(spec, "--policy", policy));
      } catch (PolicyException e) {
        throw Arguments.bad(spec, "--policy " + policy + ": " + e.getMessage());
      }
      VerificationResult r;
      try {
        Evidence e = Evidence.decode(readInput(spec, "--evidence", evidence));
        Endorsements endorsements = new Endorsements(
            vcek == null ? null : readInput(spec, "--vcek", vcek),
            chain == null ? null : readInput(spec, "--chain", chain),
            collateral == null ? null : readInput(spec, "--collateral", collateral));
        r = AttestationVerifier.verify(e, endorsements, p, when, expectedNonce, expectedSpki);
      } catch (EvidenceFormatException e) {
        throw Arguments.bad(spec, e.getMessage());
      }
      spec.commandLine().getOut().println(toJson(r));
      for (String w : r.warnings()) {
        spec.commandLine().getErr().println("warning: " + w);
      }
      return r.valid() ? ExitCodes.SUCCESS : ExitCodes.NEGATIVE;
    }

    static String toJson(VerificationResult r) {
      ObjectMapper mapper = dev.rampart.common.StrictJson.MAPPER;
      ObjectNode o = mapper.createObjectNode();
      o.put("valid", r.valid());
      o.put("platform", r.platform().id());
      o.put("insecure", r.insecure());
      o.put("measurement", r.measurementHex());
      o.put("reportData", r.reportDataHex());
      if (r.tcbStatus() == null) {
        o.putNull("tcbStatus");
      } else {
        o.put("tcbStatus", r.tcbStatus());
      }
      ArrayNode failures = o.putArray("failures");
      for (Failure f : r.failures()) {
        failures.addObject().put("check", f.check().id()).put("detail", f.detail());
      }
      ArrayNode warnings = o.putArray("warnings");
      r.warnings().forEach(warnings::add);
      return o.toString();
    }
  }

  @Command(
      name = "simulate",
      mixinStandardHelpOptions = true,
      description = {
        "Writes INSECURE simulated SEV-SNP evidence to DIR: evidence.bin, vcek.pem (endorsement key), chain.pem",
        "(intermediate + root), root.pem, and policy.json that allows exactly this simulated root.",
        "Prints simulatedRootSha256=<hex> and measurement=<hex>."
      })
  static final class Simulate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (created if missing).")
    Path out;

    @Option(names = "--report-data", required = true, paramLabel = "HEX", description = "64 bytes of report data, hex.")
    String reportData;

    @Option(names = "--measurement", paramLabel = "HEX",
        description = "48-byte measurement, hex; default: SHA-384 of the running rampart jar.")
    String measurement;

    @Override
    public Integer call() throws IOException {
      byte[] data = hex(spec, "--report-data", reportData, 64);
      byte[] m = measurement == null ? ownMeasurement() : hex(spec, "--measurement", measurement, 48);
      Files.createDirectories(out);
      SimulatedTee tee = SimulatedTee.create();
      Files.write(out.resolve("evidence.bin"), tee.report(data, m));
      Files.writeString(out.resolve("vcek.pem"), tee.endorsementKeyPem(), StandardCharsets.US_ASCII);
      Files.writeString(out.resolve("chain.pem"), tee.chainPem(), StandardCharsets.US_ASCII);
      Files.writeString(out.resolve("root.pem"), tee.rootPem(), StandardCharsets.US_ASCII);
      String rootSha = HexFormat.of().formatHex(tee.rootSha256());
      String mHex = HexFormat.of().formatHex(m);
      Files.writeString(out.resolve("policy.json"), tee.policyJson(m), StandardCharsets.US_ASCII);
      spec.commandLine().getOut().println("simulatedRootSha256=" + rootSha);
      spec.commandLine().getOut().println("measurement=" + mHex);
      spec.commandLine().getErr().println("warning: this evidence is INSECURE: it comes from no TEE at all");
      return ExitCodes.SUCCESS;
    }

    /** In simulation the measurement is the SHA-384 of the runnable artifact (ARCHITECTURE.md). */
    private static byte[] ownMeasurement() throws IOException {
      CodeSource source = RampartCli.class.getProtectionDomain().getCodeSource();
      try (InputStream in = source.getLocation().openStream()) {
        MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) > 0) {
          sha384.update(buffer, 0, n);
        }
        return sha384.digest();
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      } catch (IOException e) {
        // running from classes (tests, an IDE): there is no artifact to measure
        return new byte[48];
      }
    }
  }
}
