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
  private final boolean debug;

  /**
   * @param measurement the 48-byte SHA-384 of the coordinator's runnable artifact
   * @param debug report the debug bit (tests only: proves that callers refuse debuggable guests)
   */
  public SimulatedAttester(SimulatedTee tee, byte[] measurement, boolean debug) {
    if (measurement.length != 48) {
      throw new IllegalArgumentException("a measurement is 48 bytes (SHA-384), got " + measurement.length);
    }
    this.tee = tee;
    this.measurement = measurement.clone();
    this.debug = debug;
  }

  @Override
  public String platform() {
    return "simulated";
  }

  @Override
  public AttestationBundle attest(byte[] reportData) {
    return new AttestationBundle(platform(), tee.report(reportData, measurement, debug),
        tee.endorsementKeyPem().getBytes(StandardCharsets.US_ASCII), tee.chainPem().getBytes(StandardCharsets.US_ASCII),
        null);
  }
}
