package dev.rampart.common;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The one container of Rampart's binary files (model files, training checkpoints): big-endian
 *
 * <pre>
 *   magic            8 ASCII bytes naming the kind and its version ("RAMPMDL2", "RAMPCKP2")
 *   uint64 n         the body's length
 *   n bytes          the body, which the kind defines
 *   32 bytes         SHA-256 of everything before
 * </pre>
 *
 * The digest detects truncation and accidental or naive alteration (whoever must know who wrote a file verifies a
 * signature over it, or receives it over an attested channel, or seals it); the length makes a file cut or padded
 * at a digest-sized boundary fail as clearly as any other. {@link #openLegacy} reads the first versions of both
 * kinds, which had no length ({@code magic | body | SHA-256}).
 */
public final class FramedFile {
  public static final int MAGIC_BYTES = 8;
  public static final int DIGEST_BYTES = 32;
  private static final int HEADER_BYTES = MAGIC_BYTES + 8;

  private FramedFile() {}

  /** Why bytes are not a framed file of the expected kind; the message says what is wrong, for a person. */
  public static final class FormatException extends RampartException {
    private static final long serialVersionUID = 1L;

    FormatException(String message) {
      super(message);
    }
  }

  /** The file: {@code magic}, the body's length, the body, the digest. */
  public static byte[] frame(String magic, byte[] body) {
    byte[] m = magic(magic);
    ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + body.length + DIGEST_BYTES).order(ByteOrder.BIG_ENDIAN);
    out.put(m).putLong(body.length).put(body);
    out.put(sha256(out.array(), HEADER_BYTES + body.length));
    return out.array();
  }

  /** Whether the file starts with this magic (whatever follows). */
  public static boolean hasMagic(byte[] file, String magic) {
    byte[] m = magic(magic);
    return file != null && file.length >= MAGIC_BYTES && Arrays.equals(file, 0, MAGIC_BYTES, m, 0, MAGIC_BYTES);
  }

  /**
   * The body of a framed file of this magic, as a read-only big-endian view (no copy), after checking the magic,
   * the length and the digest.
   *
   * @throws FormatException naming the first check that failed
   */
  public static ByteBuffer open(byte[] file, String magic) throws FormatException {
    if (file == null || file.length < HEADER_BYTES + DIGEST_BYTES) {
      throw new FormatException((file == null ? 0 : file.length) + " bytes is too short for a Rampart file");
    }
    if (!hasMagic(file, magic)) {
      throw new FormatException("it does not start with \"" + magic + "\" (not this kind of Rampart file, or"
          + " another version)");
    }
    long n = ByteBuffer.wrap(file, MAGIC_BYTES, 8).order(ByteOrder.BIG_ENDIAN).getLong();
    long actual = file.length - HEADER_BYTES - DIGEST_BYTES;
    if (n != actual) {
      throw new FormatException("it declares a " + n + "-byte body but holds " + actual + " bytes (truncated or"
          + " padded)");
    }
    checkDigest(file);
    return ByteBuffer.wrap(file, HEADER_BYTES, (int) n).slice().asReadOnlyBuffer().order(ByteOrder.BIG_ENDIAN);
  }

  /** The body of a first-version file, {@code magic | body | SHA-256}, as {@link #open} returns it. */
  public static ByteBuffer openLegacy(byte[] file, String magic) throws FormatException {
    if (file == null || file.length < magic.length() + DIGEST_BYTES) {
      throw new FormatException((file == null ? 0 : file.length) + " bytes is too short for a Rampart file");
    }
    byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
    if (!Arrays.equals(file, 0, m.length, m, 0, m.length)) {
      throw new FormatException("it does not start with \"" + magic + "\"");
    }
    checkDigest(file);
    return ByteBuffer.wrap(file, m.length, file.length - m.length - DIGEST_BYTES).slice().asReadOnlyBuffer()
        .order(ByteOrder.BIG_ENDIAN);
  }

  private static void checkDigest(byte[] file) throws FormatException {
    int covered = file.length - DIGEST_BYTES;
    if (!MessageDigest.isEqual(sha256(file, covered), Arrays.copyOfRange(file, covered, file.length))) {
      throw new FormatException("its SHA-256 does not match (truncated or altered)");
    }
  }

  private static byte[] magic(String magic) {
    byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
    if (m.length != MAGIC_BYTES || !magic.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("a magic is 8 printable ASCII characters, not \"" + magic + "\"");
    }
    return m;
  }

  private static byte[] sha256(byte[] data, int length) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(data, 0, length);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
