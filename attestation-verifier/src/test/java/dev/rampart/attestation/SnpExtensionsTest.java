package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.attestation.internal.Certificates;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

/** The VCEK extensions the TCB and chip-id checks read, on certificates without a matching report. */
class SnpExtensionsTest {
  private static final String AMD = "1.3.6.1.4.1.3704.1.";

  static Integer integer(X509CertificateHolder cert, String suffix) {
    return dev.rampart.attestation.snp.SnpTestAccess.integerExtension(cert, new ASN1ObjectIdentifier(AMD + suffix));
  }

  @Test
  void turinVcek_hasAnEightByteHardwareIdAndAnFmcSpl() throws Exception {
    X509CertificateHolder turin = Certificates.parseOne(
        TestVectors.read("snp/virteesev__tests_certs_data_vcek_turin.der"), "turin vcek");
    assertThat(dev.rampart.attestation.snp.SnpTestAccess.hardwareId(turin, 8)).hasSize(8); // raw, not DER-wrapped
    X509CertificateHolder milan = Certificates.parseOne(
        TestVectors.read("snp/virteesev__tests_certs_data_vcek_milan.der"), "milan vcek");
    assertThat(dev.rampart.attestation.snp.SnpTestAccess.hardwareId(milan, 64)).hasSize(64);
    // the values as the certificates carry them (openssl x509 -text shows the raw DER: milan's 3.8 is 02 01 73)
    assertThat(integer(turin, "3.9")).isZero(); // FMC SPL, Turin only
    assertThat(integer(turin, "3.8")).isEqualTo(9); // microcode SPL
    assertThat(integer(turin, "3.1")).isZero(); // bootloader SPL
    assertThat(integer(turin, "3.3")).isZero(); // SNP SPL
    assertThat(integer(milan, "3.8")).isEqualTo(115);
    assertThat(integer(milan, "3.1")).isEqualTo(3);
    assertThat(integer(milan, "3.9")).isNull(); // no FMC before Turin
  }

  @Test
  void onlyCaCertificates_mayIssue() throws Exception {
    X509CertificateHolder vcek = Certificates.parseOne(TestVectors.read("snp/trustee__test_data_snp_test-vcek.der"), "vcek");
    java.util.List<X509CertificateHolder> askArk = Certificates.parseBundle(
        TestVectors.read("snp/gosevguest__verify_trust_ask_ark_milan.pem"), "chain");
    assertThat(Certificates.isCa(vcek)).isFalse();
    assertThat(Certificates.isCa(askArk.get(0))).isTrue();
    assertThat(Certificates.isSignedBy(vcek, askArk.get(0))).isTrue();
    assertThat(Certificates.isSignedBy(askArk.get(0), vcek)).isFalse(); // a leaf never vouches, whatever it signed
  }

  @Test
  void legacyVcek_twoByteDerIntegerIsRead() throws Exception {
    X509CertificateHolder legacy = Certificates.parseOne(
        TestVectors.read("snp/trustee__test_data_snp_test-vcek-invalid-legacy.der"), "legacy vcek");
    assertThat(integer(legacy, "3.8")).isEqualTo(169); // encoded 02 02 00 a9
  }

  @Test
  void turinTcbLayout_differsFromMilans() {
    long tcb = 0x0102030405060708L; // bytes, low to high: 08 07 06 05 04 03 02 01
    assertThat(dev.rampart.attestation.snp.SnpTestAccess.decodeTcb(tcb, true))
        .containsEntry("fmc", 8).containsEntry("bootloader", 7).containsEntry("tee", 6).containsEntry("snp", 5)
        .containsEntry("microcode", 1);
    assertThat(dev.rampart.attestation.snp.SnpTestAccess.decodeTcb(tcb, false))
        .containsEntry("bootloader", 8).containsEntry("tee", 7).containsEntry("snp", 2)
        .containsEntry("microcode", 1).doesNotContainKey("fmc");
  }
}
