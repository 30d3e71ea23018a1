package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class NitroVerifierTest {
  static final AttestationPolicy ANY_NITRO = AttestationPolicy.builder().platform(Platform.NITRO).build();

  static VerificationResult verify(byte[] content, AttestationPolicy policy, String at) throws EvidenceFormatException {
    Evidence e = Evidence.decode(content);
    assertThat(e.platform()).isEqualTo(Platform.NITRO);
    return AttestationVerifier.verify(e, Endorsements.NONE, policy, Instant.parse(at), null, null);
  }

  static VerificationResult verify(String file, String at) throws EvidenceFormatException {
    return verify(TestVectors.read("nitro/" + file), ANY_NITRO, at);
  }

  @Test
  void evervaultRawDocument_isValidAtItsTimestamp() throws Exception {
    VerificationResult r = verify("evervault__test-data_beta_valid-attestation-doc-bytes", "2022-10-13T08:58:02.136Z");
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
    assertThat(r.platform()).isEqualTo(Platform.NITRO);
    assertThat(r.measurementHex()).startsWith("f4d48b81").hasSize(96);
  }

  @Test
  void sameDocumentNow_isExpired() throws Exception {
    VerificationResult r = verify("evervault__test-data_beta_valid-attestation-doc-bytes", "2026-11-24T00:00:00Z");
    assertThat(r.failures()).extracting(Failure::check).contains(Check.VALIDITY, Check.FRESHNESS)
        .doesNotContain(Check.SIGNATURE, Check.CHAIN);
  }

  @Test
  void debugEnclaves_areRejectedByPolicy() throws Exception {
    String[][] debug = {
      {"evervault__test-data_beta_debug-mode-attestation-doc-bytes", "2022-10-12T13:50:06.081Z"},
      {"evervault__test-data_valid-attestation-doc-base64", "2023-09-18T15:03:30.860Z"},
      {"derived/debug-mode-cert-containing-attestation-doc-18-1-23.cose", "2023-01-18T15:10:32.312Z"},
      {"blocky-nitrite__internal_testdata_nitro_attestation_debug.b64", "2024-09-07T14:38:06.508Z"},
    };
    for (String[] d : debug) {
      VerificationResult r = verify(d[0], d[1]);
      assertThat(r.failures()).as(d[0]).extracting(Failure::check).containsExactly(Check.DEBUG);
    }
  }

  @Test
  void nonDebugDocuments_areValid() throws Exception {
    VerificationResult evervault = verify("derived/non-debug-cert-containing-attestation-document-18-1-23.cose",
        "2023-01-18T13:07:19.280Z");
    assertThat(evervault.valid()).as(evervault.failures().toString()).isTrue();
    assertThat(evervault.measurementHex()).isEqualTo(
        "d265a83faa7b4fa0d73b82b6d06253e894445922937d0ee5a74fe4891da9817611a71e71b98e5329232902de3cf419af");
    // user_data carries the TLS key's SPKI in evervault's scheme
    assertThat(evervault.reportData()).isEqualTo(TestVectors.read(
        "nitro/derived/non-debug-cert-containing-attestation-document-18-1-23.cose.tls_spki.der"));

    VerificationResult blocky = verify("blocky-nitrite__internal_testdata_nitro_attestation.b64",
        "2024-09-07T14:37:39.545Z");
    assertThat(blocky.valid()).as(blocky.failures().toString()).isTrue();
    assertThat(blocky.measurementHex()).startsWith("e72a46ca80a260fb");
  }

  @Test
  void selfSignedDocument_isRejected() throws Exception {
    VerificationResult r = verify("blocky-nitrite__internal_testdata_selfsigned_attestation.b64",
        "2024-04-17T18:51:46Z");
    assertThat(r.valid()).isFalse();
    assertThat(r.failures()).extracting(Failure::check).contains(Check.CHAIN);
  }

  @Test
  void tampering_breaksTheSignature() throws Exception {
    byte[] good = TestVectors.read("nitro/evervault__test-data_beta_valid-attestation-doc-bytes");
    byte[] badSignature = good.clone();
    badSignature[good.length - 10] ^= 1; // inside the trailing 96-byte signature
    assertThat(verify(badSignature, ANY_NITRO, "2022-10-13T08:58:02.136Z").failures()).extracting(Failure::check)
        .containsExactly(Check.SIGNATURE);
  }

  @Test
  void pinnedMeasurement_andBindingChecks() throws Exception {
    byte[] pcr0 = java.util.HexFormat.of().parseHex(
        "d265a83faa7b4fa0d73b82b6d06253e894445922937d0ee5a74fe4891da9817611a71e71b98e5329232902de3cf419af");
    AttestationPolicy pinned = AttestationPolicy.builder().platform(Platform.NITRO).measurement(pcr0).build();
    byte[] doc = TestVectors.read("nitro/derived/non-debug-cert-containing-attestation-document-18-1-23.cose");
    assertThat(verify(doc, pinned, "2023-01-18T13:07:19.280Z").valid()).isTrue();
    AttestationPolicy other = AttestationPolicy.builder().platform(Platform.NITRO).measurement(new byte[48]).build();
    assertThat(verify(doc, other, "2023-01-18T13:07:19.280Z").failures()).extracting(Failure::check)
        .containsExactly(Check.MEASUREMENT);
    // our binding scheme (nonce field, public_key, user_data = SHA-512 binding) is not this document's
    VerificationResult bound = AttestationVerifier.verify(Evidence.decode(doc), Endorsements.NONE, ANY_NITRO,
        Instant.parse("2023-01-18T13:07:19.280Z"), new byte[32], new byte[] {1, 2, 3});
    assertThat(bound.failures()).extracting(Failure::check).contains(Check.BINDING);
  }
}
