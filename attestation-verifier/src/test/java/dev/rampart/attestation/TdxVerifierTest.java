package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TdxVerifierTest {
  static final AttestationPolicy ANY_TDX = AttestationPolicy.builder().platform(Platform.TDX).build();
  /** Inside the dcap-qvl TDX sample's window (2025-06-19T10:32:27Z .. 2025-07-19T10:00:35Z). */
  static final Instant V4_TIME = Instant.parse("2025-07-01T00:00:00Z");
  /** Inside the outdated v5 sample's window (2026-02-18T10:58:51Z .. 2026-03-20T10:41:15Z). */
  static final Instant V5_TIME = Instant.parse("2026-03-01T00:00:00Z");

  static VerificationResult verify(byte[] quote, byte[] collateral, AttestationPolicy policy, Instant at)
      throws EvidenceFormatException {
    Evidence e = Evidence.decode(quote);
    assertThat(e.platform()).isEqualTo(Platform.TDX);
    return AttestationVerifier.verify(e, new Endorsements(null, null, collateral), policy, at, null, null);
  }

  static byte[] tdx(String name) {
    return TestVectors.read("tdx/" + name);
  }

  @Test
  void dcapQvlV4Quote_isValidAndUpToDate() throws Exception {
    VerificationResult r = verify(tdx("dcap-qvl__sample_tdx_quote"), tdx("dcap-qvl__sample_tdx_quote_collateral.json"),
        ANY_TDX, V4_TIME);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
    assertThat(r.tcbStatus()).isEqualTo("UpToDate");
    byte[] quote = tdx("dcap-qvl__sample_tdx_quote");
    byte[] launch = java.security.MessageDigest.getInstance("SHA-384").digest(
        java.util.Arrays.copyOfRange(quote, 48 + 136, 48 + 520)); // MRTD .. RTMR3 of the v4 body
    assertThat(r.measurement()).isEqualTo(launch);
    assertThat(quote[48 + 136]).isEqualTo((byte) 0x91); // MRTD 91eb2b44…, inside that digest
    assertThat(r.reportDataHex()).startsWith("9a9d48e7");
    assertThat(r.platform()).isEqualTo(Platform.TDX);
  }

  @Test
  void outdatedV5Quote_matchesNoTcbLevel_andIsRejected() throws Exception {
    VerificationResult r = verify(tdx("dcap-qvl__sample_tdx_quote_outdated"),
        tdx("dcap-qvl__sample_tdx_quote_outdated_collateral.json"), ANY_TDX, V5_TIME);
    assertThat(r.failures()).extracting(Failure::check).containsOnly(Check.TCB);
    assertThat(r.tcbStatus()).isEqualTo("Unsupported");
  }

  @Test
  void sameQuoteNow_hasExpiredCollateral() throws Exception {
    VerificationResult r = verify(tdx("dcap-qvl__sample_tdx_quote"), tdx("dcap-qvl__sample_tdx_quote_collateral.json"),
        ANY_TDX, Instant.parse("2026-11-24T00:00:00Z"));
    assertThat(r.failures()).extracting(Failure::check).contains(Check.VALIDITY)
        .doesNotContain(Check.SIGNATURE, Check.CHAIN);
  }

  @Test
  void tamperedQuote_failsTheQuoteSignature() throws Exception {
    byte[] quote = tdx("dcap-qvl__sample_tdx_quote");
    quote[48 + 136] ^= 1; // MRTD
    VerificationResult r = verify(quote, tdx("dcap-qvl__sample_tdx_quote_collateral.json"), ANY_TDX, V4_TIME);
    assertThat(r.failures()).extracting(Failure::check).containsExactly(Check.SIGNATURE);
  }

  @Test
  void editedTcbInfo_failsItsSignature() throws Exception {
    String collateral = new String(tdx("dcap-qvl__sample_tdx_quote_collateral.json"), StandardCharsets.UTF_8);
    String edited = collateral.replaceFirst("\\\\\"tcbEvaluationDataNumber\\\\\":17", "\\\\\"tcbEvaluationDataNumber\\\\\":18");
    assertThat(edited).isNotEqualTo(collateral);
    VerificationResult r = verify(tdx("dcap-qvl__sample_tdx_quote"), edited.getBytes(StandardCharsets.UTF_8), ANY_TDX,
        V4_TIME);
    assertThat(r.failures()).extracting(Failure::check).contains(Check.SIGNATURE);
  }

  @Test
  void pinnedMrtd_andAcceptedStatuses() throws Exception {
    AttestationPolicy strict = AttestationPolicy.builder().platform(Platform.TDX).measurement(new byte[48]).build();
    assertThat(verify(tdx("dcap-qvl__sample_tdx_quote"), tdx("dcap-qvl__sample_tdx_quote_collateral.json"), strict,
        V4_TIME).failures()).extracting(Failure::check).containsExactly(Check.MEASUREMENT);
    AttestationPolicy unsupportedOk = AttestationPolicy.builder().platform(Platform.TDX)
        .acceptedTcbStatuses(java.util.List.of("UpToDate", "Unsupported")).build();
    assertThat(verify(tdx("dcap-qvl__sample_tdx_quote_outdated"),
        tdx("dcap-qvl__sample_tdx_quote_outdated_collateral.json"), unsupportedOk, V5_TIME).valid()).isTrue();
  }

  @Test
  void otherPublicQuotes_parseAndTheirSignaturesVerify() throws Exception {
    // no collateral in the dcap-qvl format ships with these: against the dcap-qvl collateral their FMSPC
    // differs (a TCB failure), but the quote signature and the QE report binding must hold
    for (String quote : new String[] {"go-tdx-guest__quote_v5_sample.dat", "trustee__tdx_quote_4.dat",
        "trustee__tdx_quote_5.dat", "trustee__tdx_quote_6.dat", "go-tdx-guest__tdx_prod_quote_SPR_E4.dat"}) {
      byte[] bytes = tdx(quote); // every one ships in ../shared/testvectors: a missing sample is a failure
      VerificationResult r = verify(bytes, tdx("dcap-qvl__sample_tdx_quote_collateral.json"), ANY_TDX, V4_TIME);
      assertThat(r.failures()).as(quote).extracting(Failure::check).doesNotContain(Check.SIGNATURE)
          .contains(Check.TCB);
      assertThat(r.measurement()).as(quote).hasSize(48); // SHA-384 launch measurement
    }
  }

  @Test
  void missingCollateral_isUnusableInput() {
    assertThatThrownBy(() -> verify(tdx("dcap-qvl__sample_tdx_quote"), null, ANY_TDX, V4_TIME))
        .isInstanceOf(EvidenceFormatException.class).hasMessageContaining("--collateral");
  }
}
