package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SnpVerifierTest {
  /** The MANIFEST's outcomes hold at this time, inside every sample's certificate windows. */
  static final Instant AT = Instant.parse("2026-11-22T00:00:00Z");

  static final AttestationPolicy ANY_SNP = AttestationPolicy.builder().platform(Platform.SEV_SNP).build();

  static VerificationResult verify(String report, String vek, String chain, AttestationPolicy policy, Instant at)
      throws EvidenceFormatException {
    return verify(TestVectors.read("snp/" + report), vek, chain, policy, at);
  }

  static VerificationResult verify(byte[] report, String vek, String chain, AttestationPolicy policy, Instant at)
      throws EvidenceFormatException {
    Evidence e = Evidence.decode(report);
    assertThat(e.platform()).isEqualTo(Platform.SEV_SNP);
    return AttestationVerifier.verify(e, new Endorsements(TestVectors.read("snp/" + vek),
        chain == null ? null : TestVectors.read("snp/" + chain), null), policy, at, null, null);
  }

  @Test
  void goSevGuestMilanV2_isGenuineButADebugGuest() throws Exception {
    VerificationResult r = verify("gosevguest__verify_testdata_attestation.bin",
        "gosevguest__verify_testdata_vcek.testcer", null, ANY_SNP, AT);
    assertThat(r.failures()).extracting(Failure::check).containsExactly(Check.DEBUG);
    assertThat(r.measurementHex()).isEqualTo(
        "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01");
    assertThat(r.reportDataHex()).startsWith("0102030405000000");

    AttestationPolicy debugOk = AttestationPolicy.builder().platform(Platform.SEV_SNP).allowDebug(true).build();
    VerificationResult ok = verify("gosevguest__verify_testdata_attestation.bin",
        "gosevguest__verify_testdata_vcek.testcer", null, debugOk, AT);
    assertThat(ok.valid()).as(ok.failures().toString()).isTrue();
    assertThat(ok.platform()).isEqualTo(Platform.SEV_SNP);
    assertThat(ok.insecure()).isFalse();
  }

  @Test
  void virteeMilanV2_hexEncoded_isValid() throws Exception {
    VerificationResult r = verify("virteesev__tests_certs_data_report_milan.hex",
        "virteesev__tests_certs_data_vcek_milan.der", null, ANY_SNP, AT);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
    assertThat(r.measurementHex()).isEqualTo(
        "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f");
  }

  @Test
  void trusteeMilanV2_isValid_andTheMeasurementIsPinned() throws Exception {
    String m = "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c";
    AttestationPolicy pinned = AttestationPolicy.builder().platform(Platform.SEV_SNP)
        .measurement(HexFormat.of().parseHex(m)).minTcb("snp", 8).minTcb("microcode", 115).build();
    VerificationResult r = verify("trustee__test_data_snp_test-report.bin", "trustee__test_data_snp_test-vcek.der",
        null, pinned, AT);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();

    AttestationPolicy other = AttestationPolicy.builder().platform(Platform.SEV_SNP)
        .measurement(new byte[48]).build();
    assertThat(verify("trustee__test_data_snp_test-report.bin", "trustee__test_data_snp_test-vcek.der", null,
        other, AT).failures()).extracting(Failure::check).containsExactly(Check.MEASUREMENT);

    AttestationPolicy newer = AttestationPolicy.builder().platform(Platform.SEV_SNP).minTcb("snp", 9).build();
    assertThat(verify("trustee__test_data_snp_test-report.bin", "trustee__test_data_snp_test-vcek.der", null,
        newer, AT).failures()).extracting(Failure::check).containsExactly(Check.TCB);
  }

  /** The VLEK sample was taken at VMPL 1 (an AWS paravisor): accepted only by a policy that says so. */
  static final AttestationPolicy VMPL1 = AttestationPolicy.builder().platform(Platform.SEV_SNP).maxVmpl(1).build();

  @Test
  void trusteeVlekV3_isValidInsideItsWindow_andExpiredNow() throws Exception {
    Instant inside = Instant.parse("2025-06-01T00:00:00Z");
    assertThat(verify("trustee__test_data_snp_test-vlek-report.bin", "trustee__test_data_snp_test-vlek.der",
        null, ANY_SNP, inside).failures()).extracting(Failure::check).containsExactly(Check.VMPL);
    for (String chain : new String[] {"derived/milan_asvk_ark.pem", null}) {
      VerificationResult r = verify("trustee__test_data_snp_test-vlek-report.bin", "trustee__test_data_snp_test-vlek.der",
          chain, VMPL1, inside);
      assertThat(r.valid()).as(chain + ": " + r.failures()).isTrue();
    }
    VerificationResult now = verify("trustee__test_data_snp_test-vlek-report.bin", "trustee__test_data_snp_test-vlek.der",
        "derived/milan_asvk_ark.pem", VMPL1, Instant.parse("2026-11-24T00:00:00Z"));
    assertThat(now.failures()).extracting(Failure::check).containsExactly(Check.VALIDITY);
    assertThat(now.failures().get(0).detail()).contains("VLEK");
  }

  @Test
  void genoaV3_isValid_andFailsWithTheMilanChain() throws Exception {
    VerificationResult r = verify("derived/trustee_e2e_genoa_v3_report.bin", "derived/trustee_e2e_genoa_v3_vcek.der",
        null, ANY_SNP, AT);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
    VerificationResult swapped = verify("derived/trustee_e2e_genoa_v3_report.bin",
        "derived/trustee_e2e_genoa_v3_vcek.der", "gosevguest__verify_trust_ask_ark_milan.pem", ANY_SNP, AT);
    assertThat(swapped.failures()).extracting(Failure::check).contains(Check.CHAIN, Check.PRODUCT);
  }

  @Test
  void azureGenoaAndMilan_areValid() throws Exception {
    VerificationResult genoa = verify("derived/azure_genoa_snp_report.bin", "derived/azure_genoa_vcek.pem", null,
        ANY_SNP, AT);
    assertThat(genoa.valid()).as(genoa.failures().toString()).isTrue();
    VerificationResult milan = verify("derived/azure_milan_snp_report_from_hcl.bin", "derived/azure_milan_vcek.pem",
        "derived/azure_milan_ask_ark.pem", ANY_SNP, AT);
    assertThat(milan.valid()).as(milan.failures().toString()).isTrue();
  }

  @Test
  void tampering_isCaughtByTheSignature_andNamed() throws Exception {
    byte[] good = TestVectors.read("snp/trustee__test_data_snp_test-report.bin");
    int[][] flips = {{0x2A0 + 5, 0}, {0x90 + 7, 0}, {0x50 + 1, 0}}; // signature, measurement, report data
    for (int[] flip : flips) {
      byte[] bad = good.clone();
      bad[flip[0]] ^= 0x01;
      VerificationResult r = verify(bad, "trustee__test_data_snp_test-vcek.der", null, ANY_SNP, AT);
      assertThat(r.valid()).isFalse();
      assertThat(r.failures()).extracting(Failure::check).contains(Check.SIGNATURE);
    }
  }

  @Test
  void wrongVcek_failsSignatureTcbAndChipId() throws Exception {
    VerificationResult r = verify("trustee__test_data_snp_test-report.bin", "gosevguest__verify_testdata_vcek.testcer",
        null, ANY_SNP, AT);
    assertThat(r.failures()).extracting(Failure::check).contains(Check.SIGNATURE, Check.TCB, Check.CHIP_ID);
  }

  @Test
  void editedVcek_failsTheChain() throws Exception {
    VerificationResult r = verify("trustee__test_data_snp_test-report.bin",
        "trustee__test_data_snp_test-vcek-invalid-legacy.der", null, ANY_SNP, AT);
    assertThat(r.failures()).extracting(Failure::check).contains(Check.CHAIN);
  }

  @Test
  void policyWithoutSnp_refusesThePlatform() throws Exception {
    AttestationPolicy nitroOnly = AttestationPolicy.builder().platform(Platform.NITRO).build();
    assertThat(verify("trustee__test_data_snp_test-report.bin", "trustee__test_data_snp_test-vcek.der", null,
        nitroOnly, AT).failures()).extracting(Failure::check).containsExactly(Check.PLATFORM);
  }

  @Test
  void missingVcek_isUnusableInput() throws Exception {
    Evidence e = Evidence.decode(TestVectors.read("snp/trustee__test_data_snp_test-report.bin"));
    assertThatThrownBy(() -> AttestationVerifier.verify(e, Endorsements.NONE, ANY_SNP, AT, null, null))
        .isInstanceOf(EvidenceFormatException.class).hasMessageContaining("--vcek");
  }
}
