package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class ChannelBindingTest {
  @Test
  void reportData_isTheSpecifiedSha512() throws Exception {
    byte[] nonce = new byte[32];
    for (int i = 0; i < 32; i++) {
      nonce[i] = (byte) i;
    }
    byte[] spki = TestVectors.read("nitro/derived/non-debug-cert-containing-attestation-document-18-1-23.cose.tls_spki.der");
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write("rampart-attest/v1".getBytes(StandardCharsets.US_ASCII));
    expected.write(0);
    expected.write(nonce);
    expected.write(MessageDigest.getInstance("SHA-256").digest(spki));
    byte[] want = MessageDigest.getInstance("SHA-512").digest(expected.toByteArray());
    assertThat(ChannelBinding.reportData(nonce, spki)).hasSize(64).isEqualTo(want);
    assertThat(ChannelBinding.matches(want, nonce, spki)).isTrue();
    nonce[0] ^= 1;
    assertThat(ChannelBinding.matches(want, nonce, spki)).isFalse();
  }

  @Test
  void badInputs_areRefused() {
    assertThatThrownBy(() -> ChannelBinding.reportData(new byte[31], new byte[10])).hasMessageContaining("nonce");
    assertThatThrownBy(() -> ChannelBinding.reportData(new byte[32], new byte[0])).hasMessageContaining("key");
  }
}
