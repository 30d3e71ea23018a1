package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.attestation.simulated.SimulatedTee;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SimulatedTeeTest {
  private static final SimulatedTee TEE = SimulatedTee.create();
  private static final byte[] MEASUREMENT = new byte[48];
  private static final byte[] SPKI = "not really a key, only bytes to hash".getBytes(StandardCharsets.US_ASCII);

  private static byte[] nonce() {
    byte[] n = new byte[32];
    new SecureRandom().nextBytes(n);
    return n;
  }

  private static AttestationPolicy allowing() {
    return AttestationPolicy.builder().allowSimulated(true).simulatedRootSha256(TEE.rootSha256())
        .measurement(MEASUREMENT).build();
  }

  private static VerificationResult verify(byte[] report, AttestationPolicy policy, byte[] nonce, byte[] spki)
      throws EvidenceFormatException {
    Evidence e = Evidence.decode(report);
    return AttestationVerifier.verify(e, new Endorsements(TEE.endorsementKeyPem().getBytes(StandardCharsets.US_ASCII),
        TEE.chainPem().getBytes(StandardCharsets.US_ASCII), null), policy, Instant.now(), nonce, spki);
  }

  @Test
  void simulatedEvidence_goesThroughTheSnpPath_andIsMarkedInsecure() throws Exception {
    byte[] nonce = nonce();
    byte[] report = TEE.report(ChannelBinding.reportData(nonce, SPKI), MEASUREMENT);
    assertThat(Evidence.decode(report).platform()).isEqualTo(Platform.SEV_SNP); // same format as the hardware
    VerificationResult r = verify(report, allowing(), nonce, SPKI);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
    assertThat(r.platform()).isEqualTo(Platform.SIMULATED);
    assertThat(r.insecure()).isTrue();
    assertThat(r.warnings()).anyMatch(w -> w.contains("INSECURE"));
    assertThat(TEE.rootPem()).contains("BEGIN CERTIFICATE");
  }

  @Test
  void productionPolicy_rejectsSimulatedEvidence() throws Exception {
    byte[] report = TEE.report(new byte[64], MEASUREMENT);
    AttestationPolicy production = AttestationPolicy.builder().platform(Platform.SEV_SNP).build();
    VerificationResult r = verify(report, production, null, null);
    assertThat(r.valid()).isFalse();
    assertThat(r.failures()).extracting(Failure::check).contains(Check.CHAIN);

    // pinned but not allowed: still refused, and named as simulation
    AttestationPolicy pinnedOnly = AttestationPolicy.builder().platform(Platform.SEV_SNP).allowSimulated(false)
        .simulatedRootSha256(TEE.rootSha256()).build();
    assertThat(verify(report, pinnedOnly, null, null).failures()).extracting(Failure::check)
        .containsExactly(Check.SIMULATED);
  }

  @Test
  void anotherSimulatedRoot_isNotTrusted() throws Exception {
    SimulatedTee other = SimulatedTee.create();
    AttestationPolicy pinsOther = AttestationPolicy.builder().allowSimulated(true)
        .simulatedRootSha256(other.rootSha256()).build();
    VerificationResult r = verify(TEE.report(new byte[64], MEASUREMENT), pinsOther, null, null);
    assertThat(r.failures()).extracting(Failure::check).contains(Check.CHAIN);
  }

  @Test
  void binding_rejectsAnotherNonceOrAnotherKey() throws Exception {
    byte[] nonce = nonce();
    byte[] report = TEE.report(ChannelBinding.reportData(nonce, SPKI), MEASUREMENT);
    assertThat(verify(report, allowing(), nonce(), SPKI).failures()).extracting(Failure::check)
        .containsExactly(Check.BINDING);
    byte[] otherKey = "another TLS key".getBytes(StandardCharsets.US_ASCII);
    assertThat(verify(report, allowing(), nonce, otherKey).failures()).extracting(Failure::check)
        .containsExactly(Check.BINDING);
  }

  @Test
  void malformedBindingInputs_areUnusableInput_notCrashes() {
    byte[] report = TEE.report(new byte[64], MEASUREMENT);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> verify(report, allowing(), new byte[31], SPKI))
        .isInstanceOf(EvidenceFormatException.class).hasMessageContaining("32 bytes");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> verify(report, allowing(), nonce(), new byte[0]))
        .isInstanceOf(EvidenceFormatException.class).hasMessageContaining("empty");
  }

  @Test
  void unexpectedMeasurement_isRejected() throws Exception {
    byte[] other = new byte[48];
    other[0] = 1;
    VerificationResult r = verify(TEE.report(new byte[64], other), allowing(), null, null);
    assertThat(r.failures()).extracting(Failure::check).containsExactly(Check.MEASUREMENT);
  }

  @Test
  void loadOrCreate_keepsTheRootAcrossRestarts_andTheKeyPrivate(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path teeDir = dir.resolve("tee");
    SimulatedTee first = SimulatedTee.loadOrCreate(teeDir);
    SimulatedTee again = SimulatedTee.loadOrCreate(teeDir);
    assertThat(again.rootSha256()).isEqualTo(first.rootSha256());
    assertThat(java.nio.file.Files.getPosixFilePermissions(teeDir.resolve("endorsement-key.key")))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    // the reloaded key signs evidence that verifies against the first instance's pinned root
    byte[] nonce = nonce();
    byte[] report = again.report(ChannelBinding.reportData(nonce, SPKI), MEASUREMENT);
    AttestationPolicy pinsFirst = AttestationPolicy.builder().allowSimulated(true)
        .simulatedRootSha256(first.rootSha256()).measurement(MEASUREMENT).build();
    VerificationResult r = AttestationVerifier.verify(Evidence.decode(report), new Endorsements(
        again.endorsementKeyPem().getBytes(StandardCharsets.US_ASCII),
        again.chainPem().getBytes(StandardCharsets.US_ASCII), null), pinsFirst, Instant.now(), nonce, SPKI);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
  }

  @Test
  void debugReport_isRefusedByADefaultPolicy() throws Exception {
    byte[] nonce = nonce();
    byte[] report = TEE.report(ChannelBinding.reportData(nonce, SPKI), MEASUREMENT, true);
    assertThat(verify(report, allowing(), nonce, SPKI).failures()).extracting(Failure::check)
        .containsExactly(Check.DEBUG);
  }
}
