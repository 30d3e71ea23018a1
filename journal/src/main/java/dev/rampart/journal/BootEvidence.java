package dev.rampart.journal;

import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import java.util.HexFormat;

/**
 * What a boot entry carries to prove its new signing key lives in the measured coordinator: TEE evidence whose
 * report data is {@code ChannelBinding.reportData(Journal.bootNonce(prevHash), spki)}, what vouches for it, and
 * the measurement the evidence states.
 *
 * @param evidence the TEE's report (SNP report, TDX quote, Nitro document)
 * @param endorsements the VCEK/VLEK certificate and chain (SNP), collateral (TDX), or {@link Endorsements#NONE}
 * @param measurement the launch measurement inside the evidence, 1 to 64 bytes (the journal checks they agree)
 */
public record BootEvidence(Evidence evidence, Endorsements endorsements, byte[] measurement) {
  /** @throws IllegalArgumentException if a part is missing or the measurement has an impossible length */
  public BootEvidence {
    if (evidence == null) {
      throw new IllegalArgumentException("boot evidence needs the TEE's evidence");
    }
    if (endorsements == null) {
      throw new IllegalArgumentException("boot evidence needs endorsements (Endorsements.NONE if the platform has"
          + " none)");
    }
    if (measurement == null || measurement.length == 0 || measurement.length > 64) {
      throw new IllegalArgumentException("a measurement is 1 to 64 bytes, got "
          + (measurement == null ? "null" : measurement.length));
    }
    measurement = measurement.clone();
  }

  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  public String measurementHex() {
    return HexFormat.of().formatHex(measurement);
  }
}
