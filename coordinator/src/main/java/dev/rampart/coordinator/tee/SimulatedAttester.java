package dev.rampart.coordinator.tee;

import dev.rampart.attestation.simulated.SimulatedTee;
import java.nio.charset.StandardCharsets;

/**
 * INSECURE: evidence from a {@link SimulatedTee} kept in the state directory. Callers trust it only when their
 * policy says {@code allowSimulated} and pins this TEE's root; the coordinator logs that it runs unprotected.
 */
public final class SimulatedAttester implements Attester {
  private final SimulatedTee tee;
  private final byte[] measurement;

  /** @param measurement the 48-byte SHA-384 of the coordinator's runnable artifact */
  public SimulatedAttester(SimulatedTee tee, byte[] measurement) {
    if (measurement.length != 48) {
      throw new IllegalArgumentException("a measurement is 48 bytes (SHA-384), got " + measurement.length);
    }
    this.tee = tee;
    this.measurement = measurement.clone();
  }

  @Override
  public String platform() {
    return "simulated";
  }

  @Override
  public AttestationBundle attest(byte[] reportData) {
    return new AttestationBundle(platform(), tee.report(reportData, measurement, false),
        tee.endorsementKeyPem().getBytes(StandardCharsets.US_ASCII), tee.chainPem().getBytes(StandardCharsets.US_ASCII),
        null);
  }
}
