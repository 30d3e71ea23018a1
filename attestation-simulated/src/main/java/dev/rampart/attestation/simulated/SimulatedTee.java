package dev.rampart.attestation.simulated;

import dev.rampart.attestation.internal.Certificates;
import dev.rampart.common.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.util.io.pem.PemObject;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * An INSECURE stand-in for SEV-SNP hardware, for development without a TEE: it emits real-format SNP reports
 * (version 3), signed by a locally generated three-level chain (root → intermediate → endorsement key, all
 * ECDSA P-384) whose subjects say {@code INSECURE SIMULATED TEE}. The endorsement key certificate carries the
 * same TCB and hardware-id extensions as an AMD VCEK, so verification runs exactly the SNP code path; a
 * verifier trusts it only if its policy allows simulation and pins {@link #rootSha256()}.
 *
 * <p>The keys live in this object's memory: whoever runs the process can forge any evidence.
 */
public final class SimulatedTee {
  static final String AMD_OID = "1.3.6.1.4.1.3704.1.";
  /** TCB components the simulated chip reports (Milan layout): boot loader, TEE, SNP, microcode. */
  static final int BOOTLOADER = 1;
  static final int TEE = 0;
  static final int SNP = 1;
  static final int MICROCODE = 1;

  private final KeyPair endorsementKey;
  private final X509CertificateHolder root;
  private final X509CertificateHolder intermediate;
  private final X509CertificateHolder endorsementKeyCertificate;
  private final byte[] chipId;
  private final SecureRandom random;

  private SimulatedTee(SecureRandom random) throws GeneralSecurityException {
    this.random = random;
    KeyPair rootKey = newKey(random);
    KeyPair intermediateKey = newKey(random);
    this.endorsementKey = newKey(random);
    this.chipId = new byte[64];
    random.nextBytes(chipId);
    Instant now = Instant.now();
    Instant from = now.minus(Duration.ofDays(1));
    Instant to = now.plus(Duration.ofDays(3650));
    X500Name rootName = name("INSECURE SIMULATED TEE root");
    X500Name intermediateName = name("INSECURE SIMULATED TEE intermediate");
    try {
      this.root = certificate(rootName, rootName, rootKey, rootKey, from, to, true, false);
      this.intermediate = certificate(intermediateName, rootName, intermediateKey, rootKey, from, to, true, false);
      this.endorsementKeyCertificate = certificate(name("INSECURE SIMULATED TEE endorsement key"),
          intermediateName, endorsementKey, intermediateKey, from, to, false, true);
    } catch (IOException | OperatorCreationException e) {
      throw new GeneralSecurityException("could not build the simulated certificate chain", e);
    }
  }

  private SimulatedTee(KeyPair endorsementKey, X509CertificateHolder root, X509CertificateHolder intermediate,
      X509CertificateHolder endorsementKeyCertificate, byte[] chipId) {
    this.random = new SecureRandom();
    this.endorsementKey = endorsementKey;
    this.root = root;
    this.intermediate = intermediate;
    this.endorsementKeyCertificate = endorsementKeyCertificate;
    this.chipId = chipId;
  }

  /**
   * The simulated TEE kept in {@code dir}, made there on first use, so that its root (which policies pin)
   * survives restarts. The endorsement key is written in the clear (mode 0600): anyone who can read the
   * directory can forge evidence, which is why this is simulation only.
   */
  public static SimulatedTee loadOrCreate(Path dir) throws IOException {
    Path keyFile = dir.resolve("endorsement-key.key");
    if (!Files.exists(keyFile)) {
      SimulatedTee tee = create();
      Files.createDirectories(dir);
      AtomicFiles.write(dir.resolve("README"), ("INSECURE SIMULATED TEE: these keys sign simulated attestation"
          + " evidence. Anyone who can read this directory can forge evidence. Development only.\n")
          .getBytes(StandardCharsets.US_ASCII));
      AtomicFiles.write(dir.resolve("root.pem"), pem(tee.root).getBytes(StandardCharsets.US_ASCII));
      AtomicFiles.write(dir.resolve("intermediate.pem"), pem(tee.intermediate).getBytes(StandardCharsets.US_ASCII));
      AtomicFiles.write(dir.resolve("endorsement-key.pem"),
          pem(tee.endorsementKeyCertificate).getBytes(StandardCharsets.US_ASCII));
      StringWriter s = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(s)) {
        w.writeObject(new PemObject("PRIVATE KEY", tee.endorsementKey.getPrivate().getEncoded()));
      }
      // last, and mode 0600 from its creation: its presence says the directory is complete
      byte[] key = s.toString().getBytes(StandardCharsets.US_ASCII);
      AtomicFiles.write(keyFile, true, out -> out.write(key));
      return tee;
    }
    try {
      X509CertificateHolder root = readCertificate(dir.resolve("root.pem"));
      X509CertificateHolder intermediate = readCertificate(dir.resolve("intermediate.pem"));
      X509CertificateHolder ek = readCertificate(dir.resolve("endorsement-key.pem"));
      PrivateKey privateKey;
      try (PEMParser p = new PEMParser(Files.newBufferedReader(keyFile))) {
        Object o = p.readObject();
        if (!(o instanceof PrivateKeyInfo info)) {
          throw new IOException(keyFile + " is not a PKCS#8 private key");
        }
        privateKey = KeyFactory.getInstance("EC", Certificates.BC).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
      }
      PublicKey publicKey = KeyFactory.getInstance("EC", Certificates.BC)
          .generatePublic(new X509EncodedKeySpec(ek.getSubjectPublicKeyInfo().getEncoded()));
      Extension hwid = ek.getExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(AMD_OID + "4"));
      if (hwid == null) {
        throw new IOException(dir + "/endorsement-key.pem lacks the hardware-id extension");
      }
      byte[] chip = org.bouncycastle.asn1.ASN1OctetString.getInstance(hwid.getParsedValue()).getOctets();
      return new SimulatedTee(new KeyPair(publicKey, privateKey), root, intermediate, ek, chip);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException("the simulated TEE in " + dir + " is unreadable (" + e.getMessage()
          + "); delete the directory to make a new one (policies pinning the old root must then be updated)", e);
    }
  }

  private static X509CertificateHolder readCertificate(Path file) throws IOException {
    try (PEMParser p = new PEMParser(Files.newBufferedReader(file))) {
      Object o = p.readObject();
      if (!(o instanceof X509CertificateHolder c)) {
        throw new IOException(file + " holds no certificate");
      }
      return c;
    }
  }

  /** A fresh simulated TEE with new keys. */
  public static SimulatedTee create() {
    try {
      return new SimulatedTee(new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot generate ECDSA P-384 keys", e);
    }
  }

  private static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ", O=Rampart development, OU=NOT A TEE");
  }

  private static KeyPair newKey(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Certificates.BC);
    g.initialize(new ECGenParameterSpec("secp384r1"), random);
    return g.generateKeyPair();
  }

  private X509CertificateHolder certificate(X500Name subject, X500Name issuer, KeyPair subjectKey,
      KeyPair issuerKey, Instant from, Instant to, boolean ca, boolean endorsement)
      throws IOException, OperatorCreationException {
    X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, new BigInteger(64, random).add(BigInteger.ONE),
        Date.from(from), Date.from(to), subject,
        SubjectPublicKeyInfo.getInstance(subjectKey.getPublic().getEncoded()));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (endorsement) {
      b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(AMD_OID + "3.1"), false, new ASN1Integer(BOOTLOADER));
      b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(AMD_OID + "3.2"), false, new ASN1Integer(TEE));
      b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(AMD_OID + "3.3"), false, new ASN1Integer(SNP));
      b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(AMD_OID + "3.8"), false, new ASN1Integer(MICROCODE));
      b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(AMD_OID + "4"), false, new DEROctetString(chipId));
    }
    return b.build(new JcaContentSignerBuilder("SHA384withECDSA").setProvider(Certificates.BC)
        .build(issuerKey.getPrivate()));
  }

  /**
   * A signed SNP report (version 3, VCEK-signed, debug off) carrying {@code reportData} and
   * {@code measurement}.
   *
   * @param reportData 64 bytes (see {@link dev.rampart.attestation.ChannelBinding})
   * @param measurement 48 bytes: in simulation, the SHA-384 of the running artifact
   */
  public byte[] report(byte[] reportData, byte[] measurement) {
    return report(reportData, measurement, false);
  }

  /**
   * As {@link #report(byte[], byte[])}, optionally with the guest policy's debug bit set: what a debuggable
   * (host-inspectable) guest would report, so that tests can prove verifiers refuse it.
   */
  public byte[] report(byte[] reportData, byte[] measurement, boolean debug) {
    if (reportData.length != 64) {
      throw new IllegalArgumentException("report data must be 64 bytes, got " + reportData.length);
    }
    if (measurement.length != 48) {
      throw new IllegalArgumentException("a measurement must be 48 bytes (SHA-384), got " + measurement.length);
    }
    ByteBuffer r = ByteBuffer.allocate(0x4A0).order(ByteOrder.LITTLE_ENDIAN);
    long tcb = BOOTLOADER | (long) TEE << 8 | (long) SNP << 48 | (long) MICROCODE << 56;
    r.putInt(0x00, 3); // version
    r.putLong(0x08, 0x30000L | (debug ? 1L << 19 : 0L)); // guest policy: SMT allowed, reserved bit 17; debug bit 19
    r.putInt(0x34, 1); // ECDSA P-384 with SHA-384
    r.putLong(0x38, tcb); // current TCB
    r.position(0x50);
    r.put(reportData);
    r.position(0x90);
    r.put(measurement);
    r.putLong(0x180, tcb); // reported TCB
    r.position(0x1A0);
    r.put(chipId);
    r.putLong(0x1E0, tcb); // committed TCB
    r.putLong(0x1F0, tcb); // launch TCB
    byte[] bytes = r.array();
    try {
      Signature ecdsa = Signature.getInstance("SHA384withECDSA", Certificates.BC);
      ecdsa.initSign(endorsementKey.getPrivate(), random);
      ecdsa.update(bytes, 0, 0x2A0);
      ASN1Sequence seq = ASN1Sequence.getInstance(ecdsa.sign());
      putLittleEndian(bytes, 0x2A0, ASN1Integer.getInstance(seq.getObjectAt(0)).getValue());
      putLittleEndian(bytes, 0x2A0 + 72, ASN1Integer.getInstance(seq.getObjectAt(1)).getValue());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not sign the simulated report", e);
    }
    return bytes;
  }

  private static void putLittleEndian(byte[] out, int offset, BigInteger value) {
    byte[] be = value.toByteArray(); // big-endian, maybe with a leading 0
    for (int i = 0; i < be.length && i < 72; i++) {
      out[offset + i] = be[be.length - 1 - i];
    }
  }

  public X509CertificateHolder rootCertificate() {
    return root;
  }

  /** SHA-256 of the root certificate's DER: what a policy pins as {@code simulatedRootSha256}. */
  public byte[] rootSha256() {
    return Certificates.sha256(root);
  }

  /**
   * The policy JSON that trusts exactly this simulated root and one measurement: what a developer's party agent
   * uses against a coordinator in this simulated TEE (production policies never allow simulation).
   */
  public String policyJson(byte[] measurement) {
    if (measurement.length != 48) {
      throw new IllegalArgumentException("a measurement must be 48 bytes (SHA-384), got " + measurement.length);
    }
    java.util.HexFormat hex = java.util.HexFormat.of();
    return "{\n  \"platforms\": [\"sev-snp\"],\n  \"allowDebug\": false,\n  \"measurements\": [\""
        + hex.formatHex(measurement) + "\"],\n  \"allowSimulated\": true,\n  \"simulatedRootSha256\": \""
        + hex.formatHex(rootSha256()) + "\"\n}\n";
  }

  /** The endorsement key certificate, PEM (what {@code --vcek} takes). */
  public String endorsementKeyPem() {
    return pem(endorsementKeyCertificate);
  }

  /** The intermediate then the root, PEM (what {@code --chain} takes). */
  public String chainPem() {
    return pem(intermediate, root);
  }

  public String rootPem() {
    return pem(root);
  }

  private static String pem(X509CertificateHolder... certs) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      for (X509CertificateHolder c : certs) {
        w.writeObject(c);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return s.toString();
  }
}
