package dev.rampart.attestation.snp;

import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;

/** Test access to the SNP verifier's package-private parsing. */
public final class SnpTestAccess {
  private SnpTestAccess() {}

  public static Integer integerExtension(X509CertificateHolder cert, ASN1ObjectIdentifier oid) {
    return SnpVerifier.integerExtension(cert, oid);
  }

  public static byte[] hardwareId(X509CertificateHolder vek, int expectedLength) {
    return SnpVerifier.hardwareId(vek, expectedLength);
  }

  public static Map<String, Integer> decodeTcb(long tcb, boolean turin) {
    return SnpVerifier.decodeTcb(tcb, turin ? SnpProduct.TURIN : SnpProduct.MILAN);
  }
}
