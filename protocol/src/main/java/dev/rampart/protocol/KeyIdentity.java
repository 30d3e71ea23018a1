package dev.rampart.protocol;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A principal's key pair and self-signed certificate (ECDSA P-256). The identity is the SHA-256 of the public
 * key (SPKI DER), lower-case hex: certificates are only envelopes, the coordinator's enrolment maps
 * fingerprints to roles. Stored as {@code key.pem} (PKCS#8, mode 0600) and {@code cert.pem} in one directory.
 */
public final class KeyIdentity {
  public static final String KEY_FILE = "key.pem";
  public static final String CERT_FILE = "cert.pem";
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  private final String name;
  private final PrivateKey privateKey;
  private final X509Certificate certificate;

  private KeyIdentity(String name, PrivateKey privateKey, X509Certificate certificate) {
    this.name = name;
    this.privateKey = privateKey;
    this.certificate = certificate;
  }

  /** Whether {@code name} is a valid principal name: lower-case letters, digits, '.', '_', '-', up to 64. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** A new key pair and a self-signed certificate for {@code name}, valid ten years. */
  public static KeyIdentity generate(String name) {
    if (!validName(name)) {
      throw new IllegalArgumentException("a name is 1-64 of a-z 0-9 . _ - starting with a letter or digit, got '"
          + name + "'");
    }
    try {
      KeyPair pair = newP256();
      X500Name subject = new X500Name("CN=" + name + ", O=Rampart principal");
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), subject,
          SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
      return new KeyIdentity(name, pair.getPrivate(), cert);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("this JVM cannot make ECDSA P-256 keys and certificates", e);
    }
  }

  /** A fresh EC P-256 key pair (TLS keys, journal keys, principals). */
  public static KeyPair newP256() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  /** Writes key.pem (0600) and cert.pem into {@code dir}, creating it; never overwrites an existing key. */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path key = dir.resolve(KEY_FILE);
    if (Files.exists(key) || Files.exists(dir.resolve(CERT_FILE))) {
      throw new FileAlreadyExistsException(key.toString(), null,
          "a key already exists there; choose another --out directory or delete it deliberately");
    }
    byte[] keyPem = privateKeyPem().getBytes(StandardCharsets.US_ASCII);
    dev.rampart.common.AtomicFiles.write(key, true, out -> out.write(keyPem));
    dev.rampart.common.AtomicFiles.write(dir.resolve(CERT_FILE), certificatePem().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * A private key other users can read is still used (refusing would lock an owner out of its own approvals), but
   * the warning says so and how to fix it, on every load.
   */
  static void warnIfOthersCanRead(Path keyFile) {
    try {
      var perms = Files.getPosixFilePermissions(keyFile);
      var loose = java.util.EnumSet.of(java.nio.file.attribute.PosixFilePermission.GROUP_READ,
          java.nio.file.attribute.PosixFilePermission.OTHERS_READ, java.nio.file.attribute.PosixFilePermission.GROUP_WRITE,
          java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
      loose.retainAll(perms);
      if (!loose.isEmpty()) {
        java.util.logging.Logger.getLogger(KeyIdentity.class.getName()).warning("the private key " + keyFile
            + " can be read or written by other users (mode " + java.nio.file.attribute.PosixFilePermissions
            .toString(perms) + "): anyone who reads it can act as you; run chmod 600 " + keyFile);
      }
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: nothing to check
    }
  }

  /** Reads key.pem and cert.pem from {@code dir}; the key must belong to the certificate. */
  public static KeyIdentity load(Path dir) throws IOException {
    Path keyFile = dir.resolve(KEY_FILE);
    Path certFile = dir.resolve(CERT_FILE);
    if (!Files.isRegularFile(keyFile) || !Files.isRegularFile(certFile)) {
      throw new IOException("no identity in " + dir + " (expected " + KEY_FILE + " and " + CERT_FILE
          + "); make one with: rampart keys new --out " + dir + " --name NAME");
    }
    warnIfOthersCanRead(keyFile);
    X509Certificate cert = parseCertificatePem(Files.readString(certFile, StandardCharsets.US_ASCII), certFile);
    PrivateKey key;
    try (PEMParser p = new PEMParser(new StringReader(Files.readString(keyFile, StandardCharsets.US_ASCII)))) {
      Object o = p.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new IOException(keyFile + " is not a PKCS#8 private key (PEM 'PRIVATE KEY')");
      }
      key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IOException(keyFile + " is not an EC private key: " + e.getMessage(), e);
    }
    KeyIdentity id = new KeyIdentity(nameOf(cert), key, cert);
    if (!id.verify("rampart-key-check".getBytes(StandardCharsets.US_ASCII),
        id.sign("rampart-key-check".getBytes(StandardCharsets.US_ASCII)))) {
      throw new IOException(keyFile + " does not belong to the public key in " + certFile);
    }
    return id;
  }

  /** Parses one PEM certificate. */
  public static X509Certificate parseCertificatePem(String pem, Object source) throws IOException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      PemObject o = p.readPemObject();
      if (o == null || !"CERTIFICATE".equals(o.getType())) {
        throw new IOException(source + " holds no PEM certificate");
      }
      return parseCertificateDer(o.getContent());
    }
  }

  /** Parses one DER certificate, with a typed error. */
  public static X509Certificate parseCertificateDer(byte[] der) throws IOException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(der));
    } catch (CertificateException | ClassCastException e) {
      throw new IOException("not an X.509 certificate: " + e.getMessage(), e);
    }
  }

  private static String nameOf(X509Certificate cert) {
    String dn = cert.getSubjectX500Principal().getName();
    for (String part : dn.split(",")) {
      if (part.trim().startsWith("CN=")) {
        return part.trim().substring(3);
      }
    }
    return dn;
  }

  /** SHA-256 of a public key's SPKI DER, lower-case hex: a principal's identity. */
  public static String fingerprint(PublicKey key) {
    return fingerprint(key.getEncoded());
  }

  public static String fingerprint(byte[] spkiDer) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spkiDer));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public String name() {
    return name;
  }

  public String fingerprint() {
    return fingerprint(certificate.getPublicKey());
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  public byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(privateKey);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not sign with " + name + "'s key", e);
    }
  }

  /** Verifies an ECDSA signature made by {@code key}; false for any malformed signature. */
  public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private boolean verify(byte[] message, byte[] signature) {
    return verify(certificate.getPublicKey(), message, signature);
  }

  public String certificatePem() {
    return pem(certificate);
  }

  String privateKeyPem() {
    return pemObject(new PemObject("PRIVATE KEY", privateKey.getEncoded()));
  }

  public static String pem(X509Certificate cert) {
    try {
      return pemObject(new PemObject("CERTIFICATE", cert.getEncoded()));
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pemObject(PemObject o) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return name + " (" + fingerprint().substring(0, 16) + "…)"; // never the key
  }
}
