package dev.rampart.attestation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Binds evidence to one TLS session (ARCHITECTURE.md, "The attested channel"):
 * {@code reportData = SHA-512("rampart-attest/v1\0" ‖ nonce ‖ SHA-256(SPKI DER of the TLS key))}. A verifier
 * recomputes it from the nonce it sent and the peer key of its own session: evidence replayed from another
 * session, or produced for another key, does not match.
 */
public final class ChannelBinding {
  /** Nonces are 32 random bytes, fresh per session. */
  public static final int NONCE_LENGTH = 32;

  private static final byte[] LABEL = "rampart-attest/v1\0".getBytes(StandardCharsets.US_ASCII);

  private ChannelBinding() {}

  /**
   * The 64-byte report data for a nonce and a TLS public key.
   *
   * @throws IllegalArgumentException if the nonce is not {@value #NONCE_LENGTH} bytes or the key is empty
   */
  public static byte[] reportData(byte[] nonce, byte[] subjectPublicKeyInfoDer) {
    if (nonce.length != NONCE_LENGTH) {
      throw new IllegalArgumentException("nonce must be " + NONCE_LENGTH + " bytes, got " + nonce.length);
    }
    if (subjectPublicKeyInfoDer.length == 0) {
      throw new IllegalArgumentException("the TLS public key (SPKI DER) is empty");
    }
    MessageDigest sha512 = digest("SHA-512");
    sha512.update(LABEL);
    sha512.update(nonce);
    sha512.update(digest("SHA-256").digest(subjectPublicKeyInfoDer));
    return sha512.digest();
  }

  /** Whether {@code reportData} (64 bytes) binds this nonce and key; constant time. */
  public static boolean matches(byte[] reportData, byte[] nonce, byte[] subjectPublicKeyInfoDer) {
    return MessageDigest.isEqual(reportData, reportData(nonce, subjectPublicKeyInfoDer));
  }

  /**
   * The DER SubjectPublicKeyInfo of the peer's key in this very TLS session: what the binding must name.
   *
   * @throws SSLPeerUnverifiedException if the peer presented no certificate
   */
  public static byte[] peerSpki(SSLSession session) throws SSLPeerUnverifiedException {
    Certificate[] chain = session.getPeerCertificates();
    if (chain.length == 0) {
      throw new SSLPeerUnverifiedException("the TLS peer presented no certificate");
    }
    return chain[0].getPublicKey().getEncoded();
  }

  static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is missing from this JVM", e);
    }
  }
}
