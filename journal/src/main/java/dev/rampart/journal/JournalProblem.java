package dev.rampart.journal;

import java.util.Locale;

/**
 * One thing wrong with a journal, at one entry.
 *
 * @param seq the seq of the entry it is about (the seq the entry claims; for {@link Kind#ANCHOR}, the anchor's)
 * @param kind what kind of check failed
 * @param detail for a person: what was found and what it means
 */
public record JournalProblem(long seq, Kind kind, String detail) {
  /** The checks an entry can fail. */
  public enum Kind {
    /** A sealed record on disk is too short, too long or does not parse after decryption. */
    FORMAT,
    /** A sealed record does not decrypt: another sealing key, or the record was altered or moved. */
    SEALED_RECORD,
    /** Seqs do not run 0, 1, 2, … in order: entries reordered, dropped, duplicated, or the start missing. */
    SEQUENCE,
    /** prevHash is not the hash of the entry before. */
    CHAIN,
    /** The signature does not verify, or the signer key is not ECDSA P-256. */
    SIGNATURE,
    /** The payload does not match payloadSha256, or is not a JSON object with a subjects array. */
    PAYLOAD,
    /** The entry is not signed by the key the most recent boot entry introduced (or no boot came first). */
    SIGNER,
    /** A boot entry came without its payload: its key cannot be checked against its attestation. */
    REDACTED_BOOT,
    /** A boot entry's evidence does not verify under the policy, or does not bind its boot nonce and key. */
    ATTESTATION,
    /** The journal does not contain the entry the verifier was told it had seen before. */
    ANCHOR
  }

  @Override
  public String toString() {
    return "seq " + seq + " [" + kind.name().toLowerCase(Locale.ROOT).replace('_', '-') + "]: " + detail;
  }
}
