package dev.rampart.journal;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A point of a journal someone saw before: an entry's seq and hash. A journal has no monotonic counter, so
 * entries cut off its end cannot be noticed by looking at it alone; verifying against an anchor shows whether
 * the journal still reaches that entry with that hash. Written {@code seq:hex} ({@link #toString()},
 * {@link #parse(String)}).
 */
public record JournalAnchor(long seq, byte[] hash) {
  public JournalAnchor {
    if (seq < 0) {
      throw new IllegalArgumentException("an anchor's seq must be ≥ 0, got " + seq);
    }
    if (hash == null || hash.length != JournalEntry.HASH_LENGTH) {
      throw new IllegalArgumentException("an anchor's hash must be " + JournalEntry.HASH_LENGTH + " bytes");
    }
    hash = hash.clone();
  }

  /** The anchor of an entry. */
  public static JournalAnchor of(JournalEntry entry) {
    return new JournalAnchor(entry.seq(), entry.hash());
  }

  /**
   * Parses {@code seq:hex}, as printed by a verification report.
   *
   * @throws IllegalArgumentException saying what the expected form is
   */
  public static JournalAnchor parse(String text) {
    int colon = text.indexOf(':');
    String form = "an anchor is written <seq>:<64 hex digits of the entry's hash>, as the verifier prints it";
    if (colon <= 0) {
      throw new IllegalArgumentException(form + "; got '" + text + "'");
    }
    long seq;
    byte[] hash;
    try {
      seq = Long.parseLong(text.substring(0, colon).strip());
      hash = HexFormat.of().parseHex(text.substring(colon + 1).strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(form + "; got '" + text + "'");
    }
    if (seq < 0 || hash.length != JournalEntry.HASH_LENGTH) {
      throw new IllegalArgumentException(form + "; got '" + text + "'");
    }
    return new JournalAnchor(seq, hash);
  }

  @Override
  public byte[] hash() {
    return hash.clone();
  }

  public String hashHex() {
    return HexFormat.of().formatHex(hash);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JournalAnchor a && a.seq == seq && Arrays.equals(a.hash, hash);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(seq) * 31 + Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return seq + ":" + hashHex();
  }
}
