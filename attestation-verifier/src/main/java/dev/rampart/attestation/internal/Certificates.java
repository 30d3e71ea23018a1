package dev.rampart.attestation.internal;

import dev.rampart.attestation.EvidenceFormatException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.Arrays;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.cert.CertException;

/** X.509 parsing and checks shared by the platform verifiers. Not API. */
public final class Certificates {
  /** One provider instance, not registered globally: the host application's JCA setup stays as it is. */
  public static final Provider BC = new BouncyCastleProvider();

  private static final int MAX_CERTIFICATE_BYTES = 64 * 1024;
  private static final int MAX_BUNDLE_CERTIFICATES = 16;

  private Certificates() {}

  /** One certificate, DER or PEM. */
  public static X509CertificateHolder parseOne(byte[] derOrPem, String what) throws EvidenceFormatException {
    List<X509CertificateHolder> all = parseBundle(derOrPem, what);
    if (all.size() != 1) {
      throw new EvidenceFormatException(what + " must hold exactly one certificate, found " + all.size());
    }
    return all.get(0);
  }

  /** All certificates of a PEM bundle, or the one certificate of a DER file, in file order. */
  public static List<X509CertificateHolder> parseBundle(byte[] derOrPem, String what)
      throws EvidenceFormatException {
    if (derOrPem.length == 0) {
      throw new EvidenceFormatException(what + " is empty");
    }
    if (derOrPem.length > MAX_BUNDLE_CERTIFICATES * MAX_CERTIFICATE_BYTES) {
      throw new EvidenceFormatException(what + " is too large (" + derOrPem.length + " bytes)");
    }
    if (derOrPem[0] == 0x30) {
      try {
        return List.of(new X509CertificateHolder(derOrPem));
      } catch (IOException | RuntimeException e) {
        throw new EvidenceFormatException(what + " is not a DER X.509 certificate");
      }
    }
    List<X509CertificateHolder> out = new ArrayList<>();
    try (PEMParser pem = new PEMParser(new InputStreamReader(new ByteArrayInputStream(derOrPem),
        StandardCharsets.US_ASCII))) {
      Object o;
      while ((o = pem.readObject()) != null) {
        if (!(o instanceof X509CertificateHolder cert)) {
          throw new EvidenceFormatException(what + " holds a PEM object that is not a certificate");
        }
        if (out.size() == MAX_BUNDLE_CERTIFICATES) {
          throw new EvidenceFormatException(what + " holds more than " + MAX_BUNDLE_CERTIFICATES + " certificates");
        }
        out.add(cert);
      }
    } catch (IOException | RuntimeException e) {
      throw new EvidenceFormatException(what + " is not a PEM certificate bundle");
    }
    if (out.isEmpty()) {
      throw new EvidenceFormatException(what + " holds no certificate (expected DER or PEM)");
    }
    return out;
  }

  /**
   * A trust anchor shipped in the jar beside {@code anchor}, checked against its pinned SHA-256 when loaded: a
   * swapped resource fails loudly instead of being trusted.
   */
  public static X509CertificateHolder loadPinned(Class<?> anchor, String resource, String sha256Hex, String what) {
    try (InputStream in = anchor.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in " + what + " (" + resource + ")");
      }
      X509CertificateHolder cert = parseOne(in.readAllBytes(), what);
      if (!HexFormat.of().formatHex(sha256(cert)).equals(sha256Hex)) {
        throw new IllegalStateException("the built-in " + what + " is not the pinned one");
      }
      return cert;
    } catch (IOException | EvidenceFormatException e) {
      throw new IllegalStateException("unreadable built-in " + what, e);
    }
  }

  /**
   * Verifies an ECDSA signature given as raw big-endian r ‖ s of equal halves (COSE and Intel DCAP encode
   * them so), with {@code algorithm} such as SHA384withECDSA.
   */
  public static boolean verifyRawEcdsa(String algorithm, PublicKey key, byte[] data, byte[] rawSignature) {
    if (rawSignature.length == 0 || rawSignature.length % 2 != 0) {
      return false;
    }
    int half = rawSignature.length / 2;
    try {
      byte[] der = new DERSequence(new ASN1Encodable[] {
          new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rawSignature, 0, half))),
          new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rawSignature, half, rawSignature.length)))
      }).getEncoded();
      Signature ecdsa = Signature.getInstance(algorithm, BC);
      ecdsa.initVerify(key);
      ecdsa.update(data);
      return ecdsa.verify(der);
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      return false;
    }
  }

  /** Whether {@code cert} carries a valid signature by {@code issuerKey}. */
  public static boolean isSignedBy(X509CertificateHolder cert, PublicKey issuerKey) {
    try {
      ContentVerifierProvider verifier = new JcaContentVerifierProviderBuilder().setProvider(BC).build(issuerKey);
      return cert.isSignatureValid(verifier);
    } catch (OperatorCreationException | CertException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Links already verified: (SHA-256 of the certificate, SHA-256 of its issuer's certificate). A signature
   * check is a pure function of those bytes, so a positive result can be reused; intermediates (AMD's ASKs,
   * AWS's regional and zonal certificates) recur in every verification. Validity windows are still checked
   * each time by the callers. Bounded: cleared when full.
   */
  private static final Set<String> VERIFIED_LINKS = ConcurrentHashMap.newKeySet();
  private static final int MAX_VERIFIED_LINKS = 4096;

  /** Whether the certificate may issue others: BasicConstraints with cA true. */
  public static boolean isCa(X509CertificateHolder cert) {
    try {
      org.bouncycastle.asn1.x509.BasicConstraints bc =
          org.bouncycastle.asn1.x509.BasicConstraints.fromExtensions(cert.getExtensions());
      return bc != null && bc.isCA();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether {@code cert} carries a valid signature by {@code issuer}'s key, and {@code issuer} is a CA (a leaf
   * key, even a genuine one, must not vouch for further certificates).
   */
  public static boolean isSignedBy(X509CertificateHolder cert, X509CertificateHolder issuer) {
    if (!isCa(issuer)) {
      return false;
    }
    String link = HexFormat.of().formatHex(sha256(cert)) + HexFormat.of().formatHex(sha256(issuer));
    if (VERIFIED_LINKS.contains(link)) {
      return true;
    }
    boolean valid;
    try {
      valid = isSignedBy(cert, publicKey(issuer));
    } catch (EvidenceFormatException e) {
      return false;
    }
    if (valid) {
      if (VERIFIED_LINKS.size() >= MAX_VERIFIED_LINKS) {
        VERIFIED_LINKS.clear();
      }
      VERIFIED_LINKS.add(link);
    }
    return valid;
  }

  public static PublicKey publicKey(X509CertificateHolder cert) throws EvidenceFormatException {
    try {
      return new JcaX509CertificateConverter().setProvider(BC).getCertificate(cert).getPublicKey();
    } catch (java.security.cert.CertificateException | RuntimeException e) {
      throw new EvidenceFormatException("certificate " + name(cert.getSubject()) + " has an unusable public key");
    }
  }

  public static boolean isValidAt(X509CertificateHolder cert, Instant at) {
    return cert.isValidOn(Date.from(at));
  }

  /** "subject (valid from … to …)", for failure messages. */
  public static String window(X509CertificateHolder cert) {
    return name(cert.getSubject()) + " (valid " + cert.getNotBefore().toInstant() + " to "
        + cert.getNotAfter().toInstant() + ")";
  }

  /**
   * A distinguished name for a message. Names come from untrusted certificates, and Bouncy Castle decodes
   * their strings only when printing: a malformed one must not turn into an exception.
   */
  public static String name(X500Name name) {
    try {
      return name.toString();
    } catch (RuntimeException e) {
      return "<unreadable name>";
    }
  }

  /** Whether two names are the same, compared as DER (no decoding of untrusted strings). */
  public static boolean sameName(X500Name a, X500Name b) {
    try {
      return java.util.Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  public static byte[] sha256(X509CertificateHolder cert) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
    } catch (NoSuchAlgorithmException | IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
