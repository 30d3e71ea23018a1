package dev.rampart.attestation;

import dev.rampart.attestation.nitro.NitroVerifier;
import dev.rampart.attestation.snp.SnpVerifier;
import dev.rampart.attestation.tdx.TdxVerifier;
import java.time.Instant;

/**
 * The one entry point for verifying evidence, whatever its platform: the party agent, the data scientist's
 * client and the auditor's CLI all call this, so the simulated TEE goes through the same code as real
 * hardware.
 */
public final class AttestationVerifier {
  private AttestationVerifier() {}

  /**
   * Verifies evidence against a policy at an explicit time.
   *
   * @param at the verification time: certificates must be valid then (tests pin it inside the samples'
   *     windows; a live verifier passes the current time)
   * @param expectedNonce the nonce the caller sent, or null to skip the channel-binding check
   * @param expectedSpki the DER SubjectPublicKeyInfo of this TLS session's peer key, or null
   * @return the result; {@link VerificationResult#valid()} only if every check passed
   * @throws EvidenceFormatException if the evidence or an endorsement cannot be parsed at all
   */
  public static VerificationResult verify(Evidence evidence, Endorsements endorsements, AttestationPolicy policy,
      Instant at, byte[] expectedNonce, byte[] expectedSpki) throws EvidenceFormatException {
    if (expectedNonce != null && expectedNonce.length != ChannelBinding.NONCE_LENGTH) {
      throw new EvidenceFormatException("the nonce must be " + ChannelBinding.NONCE_LENGTH + " bytes, got "
          + expectedNonce.length);
    }
    if (expectedSpki != null && expectedSpki.length == 0) {
      throw new EvidenceFormatException("the TLS public key (SPKI DER) is empty");
    }
    return switch (evidence.platform()) {
      case SEV_SNP, SIMULATED -> SnpVerifier.verify(evidence.bytes(), endorsements.endorsementKey(),
          endorsements.chain(), policy, at, expectedNonce, expectedSpki);
      case NITRO -> NitroVerifier.verify(evidence.bytes(), policy, at, expectedNonce, expectedSpki);
      case TDX -> TdxVerifier.verify(evidence.bytes(), endorsements.collateral(), policy, at, expectedNonce,
          expectedSpki);
    };
  }
}
