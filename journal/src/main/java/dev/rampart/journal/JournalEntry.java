package dev.rampart.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.journal.internal.Encoding;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One entry of the audit journal: a state change of the coordinator, hash-chained to the entry before it and
 * signed by the coordinator's current attested key (docs/journal.md has the exact bytes).
 *
 * <p>The signature covers {@link #payloadSha256()}, not the payload itself, so an entry can be exported
 * {@linkplain #redacted() redacted} (payload null) to a data owner it does not concern and its hash and
 * signature still verify. Immutable: arrays are copied in and out.
 *
 * @param seq the position in the journal: 0, 1, 2, …
 * @param prevHash the {@link #hash()} of entry {@code seq − 1}; 32 zero bytes for seq 0
 * @param timeMillis when the coordinator wrote it (the host's clock: informative, not trusted)
 * @param type what happened, a short lower-case name like {@code boot} or {@code dataset.stored}
 * @param payloadSha256 SHA-256 of the payload bytes
 * @param payload a UTF-8 JSON object with a {@code subjects} array, or null when redacted
 * @param signerSpki DER SubjectPublicKeyInfo of the signing key (ECDSA P-256)
 * @param signature DER ECDSA signature (SHA-256, low S) of {@link #signedBytes()}
 */
public record JournalEntry(long seq, byte[] prevHash, long timeMillis, String type, byte[] payloadSha256,
    byte[] payload, byte[] signerSpki, byte[] signature) {

  /** The domain label that starts every signed encoding, so a journal signature means nothing elsewhere. */
  public static final String DOMAIN = "rampart-journal/v1";
  /** The type of the entries that introduce a new attested signing key. */
  public static final String BOOT = "boot";
  public static final int HASH_LENGTH = 32;
  public static final int MAX_TYPE_LENGTH = 64;
  /** Larger than any payload the coordinator writes (a boot with TDX collateral is tens of KB). */
  public static final int MAX_PAYLOAD_BYTES = 1 << 20;
  public static final int MAX_SPKI_BYTES = 1024;
  public static final int MAX_SIGNATURE_BYTES = 128;

  private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*");

  /** @throws IllegalArgumentException naming the field that is out of range */
  public JournalEntry {
    if (seq < 0) {
      throw new IllegalArgumentException("seq must be ≥ 0, got " + seq);
    }
    if (timeMillis < 0) {
      throw new IllegalArgumentException("timeMillis must be ≥ 0, got " + timeMillis);
    }
    requireLength("prevHash", prevHash, HASH_LENGTH);
    requireLength("payloadSha256", payloadSha256, HASH_LENGTH);
    requireType(type);
    if (payload != null && payload.length > MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException("the payload is " + payload.length + " bytes; at most " + MAX_PAYLOAD_BYTES);
    }
    requireSize("signerSpki", signerSpki, MAX_SPKI_BYTES);
    requireSize("signature", signature, MAX_SIGNATURE_BYTES);
    prevHash = prevHash.clone();
    payloadSha256 = payloadSha256.clone();
    payload = payload == null ? null : payload.clone();
    signerSpki = signerSpki.clone();
    signature = signature.clone();
  }

  /**
   * Checks an entry type: lower-case ASCII words joined by '.', '_' or '-', at most {@value #MAX_TYPE_LENGTH}
   * characters.
   *
   * @throws IllegalArgumentException if it is not one
   */
  public static void requireType(String type) {
    if (type == null || type.length() > MAX_TYPE_LENGTH || !TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException("an entry type is lower-case ASCII words joined by '.', '_' or '-', at most "
          + MAX_TYPE_LENGTH + " characters (like 'dataset.stored'); got "
          + (type == null ? "null" : "'" + abbreviate(type) + "'"));
    }
  }

  private static void requireLength(String name, byte[] b, int length) {
    if (b == null || b.length != length) {
      throw new IllegalArgumentException(name + " must be " + length + " bytes, got "
          + (b == null ? "null" : b.length));
    }
  }

  private static void requireSize(String name, byte[] b, int max) {
    if (b == null || b.length == 0 || b.length > max) {
      throw new IllegalArgumentException(name + " must be 1 to " + max + " bytes, got "
          + (b == null ? "null" : b.length));
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  @Override
  public byte[] prevHash() {
    return prevHash.clone();
  }

  @Override
  public byte[] payloadSha256() {
    return payloadSha256.clone();
  }

  /** The payload bytes, or null if this entry is redacted. */
  @Override
  public byte[] payload() {
    return payload == null ? null : payload.clone();
  }

  @Override
  public byte[] signerSpki() {
    return signerSpki.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  public boolean isBoot() {
    return BOOT.equals(type);
  }

  public boolean isRedacted() {
    return payload == null;
  }

  /** This entry without its payload; hash and signature are unchanged, since neither covers the payload. */
  public JournalEntry redacted() {
    return payload == null ? this
        : new JournalEntry(seq, prevHash, timeMillis, type, payloadSha256, null, signerSpki, signature);
  }

  /**
   * The bytes the signature covers: fields of {@link Encoding}, in this order: {@value #DOMAIN}, seq (8 bytes),
   * prevHash, timeMillis (8 bytes), type (ASCII), payloadSha256, signerSpki.
   */
  public byte[] signedBytes() {
    return signedBytes(seq, prevHash, timeMillis, type, payloadSha256, signerSpki);
  }

  static byte[] signedBytes(long seq, byte[] prevHash, long timeMillis, String type, byte[] payloadSha256,
      byte[] signerSpki) {
    return new Encoding.Writer().field(DOMAIN).field(seq).field(prevHash).field(timeMillis).field(type)
        .field(payloadSha256).field(signerSpki).toByteArray();
  }

  /**
   * SHA-256 of {@link #signedBytes()} followed by the signature: what the next entry's {@code prevHash} holds.
   * The signed bytes are self-delimiting, so the concatenation is unambiguous.
   */
  public byte[] hash() {
    MessageDigest d = sha256();
    d.update(signedBytes());
    d.update(signature);
    return d.digest();
  }

  /** {@link #hash()} in hex. */
  public String hashHex() {
    return HexFormat.of().formatHex(hash());
  }

  /**
   * The subjects (dataset ids, principal fingerprints) the payload names.
   *
   * @throws IllegalStateException if this entry is redacted
   * @throws IllegalArgumentException if the payload is not a JSON object with a {@code subjects} array of strings
   */
  public List<String> subjects() {
    return Payloads.subjects(payloadJson());
  }

  /**
   * The payload parsed; a fresh copy each call.
   *
   * @throws IllegalStateException if this entry is redacted
   * @throws IllegalArgumentException if the payload is not a JSON object with a {@code subjects} array of strings
   */
  public ObjectNode payloadJson() {
    if (payload == null) {
      throw new IllegalStateException("entry " + seq + " is redacted: its payload was not exported to you");
    }
    return Payloads.parse(payload);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JournalEntry e && seq == e.seq && timeMillis == e.timeMillis && type.equals(e.type)
        && Arrays.equals(prevHash, e.prevHash) && Arrays.equals(payloadSha256, e.payloadSha256)
        && Arrays.equals(payload, e.payload) && Arrays.equals(signerSpki, e.signerSpki)
        && Arrays.equals(signature, e.signature);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(seq) * 31 + Arrays.hashCode(signature);
  }

  @Override
  public String toString() {
    return "JournalEntry[seq=" + seq + ", type=" + type + ", timeMillis=" + timeMillis
        + (payload == null ? ", redacted" : ", payload=" + payload.length + " bytes") + ", hash=" + hashHex() + "]";
  }
}
