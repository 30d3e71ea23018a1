package dev.rampart.journal;

import dev.rampart.journal.internal.Encoding;

/**
 * One entry as the journal file stores it. On disk a record is a 4-byte big-endian length, then the AEAD
 * ciphertext of the entry's {@linkplain JournalEntry#signedBytes() signed bytes} followed by two more fields,
 * payload and signature. The associated data binds the domain and the seq, so a record decrypts only at its
 * own position: records cannot be reordered or carried over from another seq.
 */
final class SealedRecord {
  static final int LENGTH_PREFIX_BYTES = 4;
  /** The largest plaintext: a maximal payload plus the fixed fields, spki and signature. */
  static final int MAX_PLAINTEXT_BYTES = JournalEntry.MAX_PAYLOAD_BYTES + JournalEntry.MAX_SPKI_BYTES
      + JournalEntry.MAX_SIGNATURE_BYTES + 1024;
  /** Room for any AEAD's prefix, nonce and tag; a larger length prefix is damage, not a record. */
  static final int MAX_RECORD_BYTES = MAX_PLAINTEXT_BYTES + 1024;
  /** Shorter than any AEAD ciphertext of any entry: a damaged length prefix. */
  static final int MIN_RECORD_BYTES = 16;

  private SealedRecord() {}

  static byte[] associatedData(long seq) {
    return new Encoding.Writer().field(JournalEntry.DOMAIN).field(seq).toByteArray();
  }

  static byte[] plaintext(JournalEntry e) {
    if (e.isRedacted()) {
      throw new IllegalArgumentException("a redacted entry cannot be stored: the journal keeps every payload");
    }
    byte[] signed = e.signedBytes();
    byte[] rest = new Encoding.Writer().field(e.payload()).field(e.signature()).toByteArray();
    byte[] out = new byte[signed.length + rest.length];
    System.arraycopy(signed, 0, out, 0, signed.length);
    System.arraycopy(rest, 0, out, signed.length, rest.length);
    return out;
  }

  /** @throws IllegalArgumentException saying which field does not parse */
  static JournalEntry parse(byte[] plaintext) {
    Encoding.Reader r = new Encoding.Reader(plaintext);
    String domain = r.asciiField("domain", 64);
    if (!domain.equals(JournalEntry.DOMAIN)) {
      throw new IllegalArgumentException("the record is of format '" + domain + "', not " + JournalEntry.DOMAIN);
    }
    long seq = r.longField("seq");
    byte[] prevHash = r.field("prevHash", JournalEntry.HASH_LENGTH);
    long timeMillis = r.longField("timeMillis");
    String type = r.asciiField("type", JournalEntry.MAX_TYPE_LENGTH);
    byte[] payloadSha256 = r.field("payloadSha256", JournalEntry.HASH_LENGTH);
    byte[] spki = r.field("signerSpki", JournalEntry.MAX_SPKI_BYTES);
    byte[] payload = r.field("payload", JournalEntry.MAX_PAYLOAD_BYTES);
    byte[] signature = r.field("signature", JournalEntry.MAX_SIGNATURE_BYTES);
    r.requireEnd();
    return new JournalEntry(seq, prevHash, timeMillis, type, payloadSha256, payload, spki, signature);
  }
}
