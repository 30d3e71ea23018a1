package dev.rampart.coordinator.tee;

import java.io.IOException;

/** The coordinator's side of remote attestation: fresh evidence over 64 bytes of report data. */
public interface Attester {
  /** "sev-snp", "tdx" or "simulated" (what the coordinator says; callers decide from the evidence itself). */
  String platform();

  /**
   * Fresh evidence carrying {@code reportData}.
   *
   * @param reportData exactly 64 bytes ({@code ChannelBinding.reportData})
   * @throws IOException the platform could not produce evidence
   */
  AttestationBundle attest(byte[] reportData) throws IOException;
}
