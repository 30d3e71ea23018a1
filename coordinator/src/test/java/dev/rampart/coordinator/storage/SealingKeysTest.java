package dev.rampart.coordinator.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;

/** Sealing keys derived from a platform secret: the same secret reads what it sealed after a restart; no other does. */
class SealingKeysTest {
  private static byte[] secret(int fill) {
    byte[] s = new byte[32];
    java.util.Arrays.fill(s, (byte) fill);
    return s;
  }

  @Test
  void theSameSecretGivesTheSameKeys_anotherDoesNot() throws Exception {
    byte[] plain = "a sealed record".getBytes(StandardCharsets.US_ASCII);
    byte[] ad = "ad".getBytes(StandardCharsets.US_ASCII);
    byte[] sealed = SealingKeys.fromSecret(secret(7)).aead().encrypt(plain, ad);
    assertThat(SealingKeys.fromSecret(secret(7)).aead().decrypt(sealed, ad)).isEqualTo(plain);
    assertThatThrownBy(() -> SealingKeys.fromSecret(secret(8)).aead().decrypt(sealed, ad))
        .isInstanceOf(GeneralSecurityException.class);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream o = SealingKeys.fromSecret(secret(7)).streaming().newEncryptingStream(out, ad)) {
      o.write(plain);
    }
    try (InputStream in = SealingKeys.fromSecret(secret(7)).streaming()
        .newDecryptingStream(new ByteArrayInputStream(out.toByteArray()), ad)) {
      assertThat(in.readAllBytes()).isEqualTo(plain);
    }
    assertThatThrownBy(() -> {
      try (InputStream in = SealingKeys.fromSecret(secret(8)).streaming()
          .newDecryptingStream(new ByteArrayInputStream(out.toByteArray()), ad)) {
        in.readAllBytes();
      }
    }).isInstanceOf(IOException.class);
  }

  @Test
  void aSecretIs32Bytes() {
    assertThatThrownBy(() -> SealingKeys.fromSecret(new byte[16])).isInstanceOf(IOException.class)
        .hasMessageContaining("32 bytes");
  }
}
