package dev.rampart.benchmarks;

import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.AttestationVerifier;
import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Platform;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.attestation.simulated.SimulatedTee;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Verification latency per platform, warm (goals: SNP ≤ 5 ms, Nitro ≤ 5 ms, TDX ≤ 10 ms): parsing, the whole chain to the
 * pinned root, the evidence signature and every policy check, on real public samples.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AttestationBenchmark {
  private static final Instant SNP_TIME = Instant.parse("2026-11-22T00:00:00Z");
  private static final Instant NITRO_TIME = Instant.parse("2022-10-13T08:58:02.136Z");
  private static final Instant TDX_TIME = Instant.parse("2025-07-01T00:00:00Z");

  private byte[] snpReport;
  private Endorsements snpEndorsements;
  private AttestationPolicy snpPolicy;
  private byte[] nitroDocument;
  private AttestationPolicy nitroPolicy;
  private byte[] tdxQuote;
  private Endorsements tdxEndorsements;
  private AttestationPolicy tdxPolicy;
  private byte[] simulatedReport;
  private Endorsements simulatedEndorsements;
  private AttestationPolicy simulatedPolicy;

  @Setup
  public void setUp() throws IOException, EvidenceFormatException {
    snpReport = resource("snp-report.bin");
    snpEndorsements = new Endorsements(resource("snp-vcek.der"), null, null);
    snpPolicy = AttestationPolicy.builder().platform(Platform.SEV_SNP).build();
    nitroDocument = resource("nitro-document.cose");
    nitroPolicy = AttestationPolicy.builder().platform(Platform.NITRO).build();
    tdxQuote = resource("tdx-quote.dat");
    tdxEndorsements = new Endorsements(null, null, resource("tdx-collateral.json"));
    tdxPolicy = AttestationPolicy.builder().platform(Platform.TDX).build();
    SimulatedTee tee = SimulatedTee.create();
    simulatedReport = tee.report(new byte[64], new byte[48]);
    simulatedEndorsements = new Endorsements(tee.endorsementKeyPem().getBytes(StandardCharsets.US_ASCII),
        tee.chainPem().getBytes(StandardCharsets.US_ASCII), null);
    simulatedPolicy = AttestationPolicy.builder().allowSimulated(true).simulatedRootSha256(tee.rootSha256()).build();
    for (VerificationResult r : new VerificationResult[] {snp(), nitro(), tdx(), simulated()}) {
      if (!r.valid()) {
        throw new IllegalStateException("benchmark sample does not verify: " + r.failures());
      }
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = AttestationBenchmark.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  @Benchmark
  public VerificationResult snp() throws EvidenceFormatException {
    return AttestationVerifier.verify(Evidence.decode(snpReport), snpEndorsements, snpPolicy, SNP_TIME, null, null);
  }

  @Benchmark
  public VerificationResult nitro() throws EvidenceFormatException {
    return AttestationVerifier.verify(Evidence.decode(nitroDocument), Endorsements.NONE, nitroPolicy, NITRO_TIME,
        null, null);
  }

  @Benchmark
  public VerificationResult tdx() throws EvidenceFormatException {
    return AttestationVerifier.verify(Evidence.decode(tdxQuote), tdxEndorsements, tdxPolicy, TDX_TIME, null, null);
  }

  @Benchmark
  public VerificationResult simulated() throws EvidenceFormatException {
    return AttestationVerifier.verify(Evidence.decode(simulatedReport), simulatedEndorsements, simulatedPolicy,
        Instant.now(), null, null);
  }
}
