package dev.rampart.attestation.internal;

import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Check;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import java.util.List;

/** The channel-binding check of platforms whose report data carries the SHA-512 binding (SNP, TDX). Not API. */
public final class ReportDataBinding {
  private ReportDataBinding() {}

  /**
   * Adds a {@link Check#BINDING} failure if {@code reportData} does not bind the nonce and key; nothing when
   * neither is given.
   *
   * @throws EvidenceFormatException if only one of the two is given
   */
  public static void check(byte[] reportData, byte[] nonce, byte[] spki, List<Failure> failures)
      throws EvidenceFormatException {
    if (nonce == null && spki == null) {
      return;
    }
    if (nonce == null || spki == null) {
      throw new EvidenceFormatException("checking the channel binding needs both the nonce and the TLS key");
    }
    if (!ChannelBinding.matches(reportData, nonce, spki)) {
      failures.add(new Failure(Check.BINDING, "the report data does not bind this nonce and TLS key:"
          + " evidence from another session or for another key"));
    }
  }
}
