package dev.rampart.trainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * A cryptographically secure random stream: AES-256 in counter mode, keyed from {@link SecureRandom}. The
 * counter blocks are encrypted with the JDK's AES/ECB, which runs on AES-NI/VAES at about 3.8 GB/s here, where
 * the JDK's own AES/CTR and ChaCha20 run at about 0.55 GB/s (measured on this machine kind). DP-SGD draws one Gaussian per parameter per step and one uniform per sampled
 * example: {@code SecureRandom} itself is too slow for that, and a non-cryptographic generator would let
 * whoever learns its state subtract the noise. Not thread-safe: one stream per training loop.
 */
public final class CryptoRandom {
  private static final int BUFFER_BYTES = 1 << 20;

  private final Cipher cipher;
  private final long nonce;
  private long counter;
  private final byte[] counters = new byte[BUFFER_BYTES];
  private final ByteBuffer counterView = ByteBuffer.wrap(counters);
  private final byte[] keystream = new byte[BUFFER_BYTES];
  /** Reads the keystream's bytes as little-endian longs in place. */
  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private final boolean seeded;
  private boolean noncesWritten;
  /** The next unread byte of {@link #keystream}. */
  private int position = BUFFER_BYTES;

  private CryptoRandom(byte[] key, byte[] iv, boolean seeded) {
    this.seeded = seeded;
    this.nonce = ByteBuffer.wrap(iv).getLong();
    this.counter = ByteBuffer.wrap(iv).getLong(8);
    try {
      cipher = Cipher.getInstance("AES/ECB/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no AES", e);
    }
  }

  /** The production stream: a fresh 256-bit key and IV from {@link SecureRandom}. */
  public static CryptoRandom create() {
    SecureRandom seedSource = new SecureRandom();
    byte[] key = new byte[32];
    byte[] iv = new byte[16];
    seedSource.nextBytes(key);
    seedSource.nextBytes(iv);
    return new CryptoRandom(key, iv, false);
  }

  /**
   * A reproducible stream FOR TESTS ONLY: anyone who knows the seed knows every noise value, which voids the
   * privacy guarantee. Training never uses it unless asked for explicitly.
   */
  public static CryptoRandom seededForTestsOnly(long seed) {
    try {
      byte[] key = MessageDigest.getInstance("SHA-256").digest(("rampart-test-seed:" + seed).getBytes(
          java.nio.charset.StandardCharsets.US_ASCII));
      return new CryptoRandom(key, new byte[16], true);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An independent stream for another thread, keyed from this one's output (so a seeded stream's forks are
   * reproducible too). Streams are not thread-safe: each thread draws from its own.
   */
  public CryptoRandom fork() {
    byte[] key = new byte[32];
    byte[] iv = new byte[16];
    ByteBuffer k = ByteBuffer.wrap(key);
    for (int i = 0; i < 4; i++) {
      k.putLong(nextLong());
    }
    ByteBuffer.wrap(iv).putLong(nextLong()).putLong(nextLong());
    return new CryptoRandom(key, iv, seeded);
  }

  /** Whether this stream is the reproducible test mode. */
  public boolean seeded() {
    return seeded;
  }

  private void refill() {
    try {
      if (!noncesWritten) { // the first 8 bytes of every counter block never change
        for (int block = 0; block < BUFFER_BYTES; block += 16) {
          counterView.putLong(block, nonce);
        }
        noncesWritten = true;
      }
      for (int block = 0; block < BUFFER_BYTES; block += 16) {
        counterView.putLong(block + 8, counter++); // 2^64 blocks: never wraps in practice
      }
      cipher.update(counters, 0, BUFFER_BYTES, keystream, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES failed", e);
    }
    position = 0;
  }

  public long nextLong() {
    if (position == BUFFER_BYTES) {
      refill();
    }
    long word = (long) LONGS.get(keystream, position);
    position += 8;
    return word;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in (0, 1]: never 0, so its logarithm is finite. */
  public double nextDoubleOpenZero() {
    return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
  }
}
