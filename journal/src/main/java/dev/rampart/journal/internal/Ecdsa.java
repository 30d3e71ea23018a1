package dev.rampart.journal.internal;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * ECDSA P-256 with SHA-256, DER signatures, as the journal uses it. Signatures are normalised to low S and
 * verification refuses high S and non-minimal DER: ECDSA lets anyone turn (r, s) into (r, n − s), and since an
 * entry's hash covers its signature, a malleable signature would let a relay change an entry's hash (and so a
 * data owner's anchor) without the key. Not API.
 */
public final class Ecdsa {
  public static final String ALGORITHM = "SHA256withECDSA";

  private static final ECParameterSpec P256 = p256();
  private static final BigInteger N = P256.getOrder();
  private static final BigInteger HALF_N = N.shiftRight(1);

  private Ecdsa() {}

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec("secp256r1"));
      return p.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no EC P-256 (secp256r1)", e);
    }
  }

  /** Whether {@code key} is an EC key on P-256 (secp256r1). */
  public static boolean isP256(java.security.Key key) {
    if (!(key instanceof ECKey ec)) {
      return false;
    }
    ECParameterSpec p = ec.getParams();
    return p != null && p.getOrder().equals(N) && p.getCofactor() == P256.getCofactor()
        && p.getCurve().equals(P256.getCurve()) && p.getGenerator().equals(P256.getGenerator());
  }

  /** A description of a key for error messages: "RSA", "EC (curve order of 384 bits)". */
  public static String describe(java.security.Key key) {
    if (key instanceof ECKey ec && ec.getParams() != null) {
      return "EC (curve order of " + ec.getParams().getOrder().bitLength() + " bits)";
    }
    return key.getAlgorithm();
  }

  /**
   * Parses a DER SubjectPublicKeyInfo that must hold a P-256 key.
   *
   * @throws IllegalArgumentException saying what the bytes are instead
   */
  public static ECPublicKey parseSpki(byte[] spki) {
    PublicKey key;
    try {
      key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
    } catch (InvalidKeySpecException | RuntimeException e) {
      // the JDK's EC key factory throws on any SPKI whose algorithm is not EC (RSA, Ed25519) or is malformed
      throw new IllegalArgumentException("the signer key is not an EC SubjectPublicKeyInfo (the journal signs with"
          + " ECDSA P-256)");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no EC key factory", e);
    }
    if (!isP256(key)) {
      throw new IllegalArgumentException("the signer key is " + describe(key) + ", not P-256");
    }
    return (ECPublicKey) key;
  }

  /** Signs {@code message}; the result is a minimal DER SEQUENCE of r and s with s ≤ n/2. */
  public static byte[] sign(PrivateKey key, byte[] message) throws GeneralSecurityException {
    Signature s = Signature.getInstance(ALGORITHM);
    s.initSign(key);
    s.update(message);
    BigInteger[] rs = decode(s.sign());
    if (rs == null) {
      throw new GeneralSecurityException("the signature provider returned a signature that is not DER ECDSA");
    }
    BigInteger low = rs[1].compareTo(HALF_N) > 0 ? N.subtract(rs[1]) : rs[1];
    return encode(rs[0], low);
  }

  /** Whether {@code der} is a canonical (minimal DER, low-S) signature of {@code message} by {@code key}. */
  public static boolean verify(PublicKey key, byte[] message, byte[] der) {
    BigInteger[] rs = decode(der);
    if (rs == null || rs[0].signum() <= 0 || rs[0].compareTo(N) >= 0 || rs[1].signum() <= 0
        || rs[1].compareTo(HALF_N) > 0 || !MessageDigest.isEqual(der, encode(rs[0], rs[1]))) {
      return false;
    }
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(message);
      return s.verify(der);
    } catch (GeneralSecurityException e) {
      // an unusable key or a signature the provider cannot parse: in both cases the signature is not valid
      return false;
    }
  }

  /** Whether {@code der} is a minimal DER low-S ECDSA P-256 signature (whatever it signs). */
  public static boolean isCanonical(byte[] der) {
    BigInteger[] rs = decode(der);
    return rs != null && rs[0].signum() > 0 && rs[0].compareTo(N) < 0 && rs[1].signum() > 0
        && rs[1].compareTo(HALF_N) <= 0 && MessageDigest.isEqual(der, encode(rs[0], rs[1]));
  }

  /** SHA-256 of an SPKI, first 8 bytes in hex: enough to tell keys apart in a message. */
  public static String fingerprint(byte[] spki) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(spki);
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** (r, s) from a DER SEQUENCE of two INTEGERs with short-form lengths (all a P-256 signature needs), or null. */
  private static BigInteger[] decode(byte[] der) {
    if (der.length < 8 || der.length > 72 || der[0] != 0x30 || (der[1] & 0xFF) != der.length - 2) {
      return null;
    }
    List<BigInteger> ints = new ArrayList<>(2);
    int i = 2;
    while (i < der.length) {
      if (ints.size() == 2 || der[i] != 0x02 || i + 1 >= der.length) {
        return null;
      }
      int len = der[i + 1] & 0xFF;
      if (len == 0 || len > 33 || i + 2 + len > der.length) {
        return null;
      }
      byte[] v = new byte[len];
      System.arraycopy(der, i + 2, v, 0, len);
      ints.add(new BigInteger(v));
      i += 2 + len;
    }
    return ints.size() == 2 ? ints.toArray(new BigInteger[0]) : null;
  }

  private static byte[] encode(BigInteger r, BigInteger s) {
    byte[] rb = r.toByteArray(); // minimal two's complement: a leading 0 only when the top bit is set
    byte[] sb = s.toByteArray();
    byte[] out = new byte[6 + rb.length + sb.length];
    out[0] = 0x30;
    out[1] = (byte) (4 + rb.length + sb.length);
    out[2] = 0x02;
    out[3] = (byte) rb.length;
    System.arraycopy(rb, 0, out, 4, rb.length);
    out[4 + rb.length] = 0x02;
    out[5 + rb.length] = (byte) sb.length;
    System.arraycopy(sb, 0, out, 6 + rb.length, sb.length);
    return out;
  }
}
