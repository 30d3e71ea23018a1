package dev.rampart.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FramedFileTest {
  private static final byte[] BODY = "the body of a file".getBytes(StandardCharsets.US_ASCII);

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void roundTripsAndLaysOutMagicLengthBodyDigest() throws Exception {
    byte[] f = FramedFile.frame("RAMPTST2", BODY);
    assertThat(f).hasSize(8 + 8 + BODY.length + 32);
    assertThat(new String(f, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("RAMPTST2");
    assertThat(ByteBuffer.wrap(f, 8, 8).getLong()).isEqualTo(BODY.length);
    assertThat(Arrays.copyOfRange(f, f.length - 32, f.length))
        .isEqualTo(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(f, f.length - 32)));
    ByteBuffer body = FramedFile.open(f, "RAMPTST2");
    assertThat(bytes(body)).isEqualTo(BODY);
    assertThat(body.isReadOnly()).isTrue();
    assertThat(bytes(FramedFile.open(FramedFile.frame("RAMPTST2", new byte[0]), "RAMPTST2"))).isEmpty();
  }

  @Test
  void refusesEveryKindOfDamageNamingIt() {
    byte[] f = FramedFile.frame("RAMPTST2", BODY);
    assertThatThrownBy(() -> FramedFile.open(f, "RAMPOTHR")).hasMessageContaining("does not start with \"RAMPOTHR\"");
    assertThatThrownBy(() -> FramedFile.open(Arrays.copyOf(f, 20), "RAMPTST2")).hasMessageContaining("too short");
    assertThatThrownBy(() -> FramedFile.open(null, "RAMPTST2")).hasMessageContaining("0 bytes is too short");
    // cut at the end: the length no longer matches
    assertThatThrownBy(() -> FramedFile.open(Arrays.copyOf(f, f.length - 1), "RAMPTST2"))
        .hasMessageContaining("declares a " + BODY.length + "-byte body but holds " + (BODY.length - 1));
    assertThatThrownBy(() -> FramedFile.open(Arrays.copyOf(f, f.length + 32), "RAMPTST2"))
        .hasMessageContaining("truncated or padded");
    for (int i : new int[] {9, 16, 16 + BODY.length - 1, f.length - 1}) {
      byte[] altered = f.clone();
      altered[i] ^= 1;
      assertThatThrownBy(() -> FramedFile.open(altered, "RAMPTST2"))
          .isInstanceOf(FramedFile.FormatException.class).hasMessageContaining(i == 9 ? "declares" : "SHA-256");
    }
  }

  @Test
  void readsTheFirstVersionsWithoutALength() throws Exception {
    byte[] head = "RAMPART-CKPT".getBytes(StandardCharsets.US_ASCII);
    byte[] legacy = new byte[head.length + BODY.length + 32];
    System.arraycopy(head, 0, legacy, 0, head.length);
    System.arraycopy(BODY, 0, legacy, head.length, BODY.length);
    byte[] d = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(legacy, head.length + BODY.length));
    System.arraycopy(d, 0, legacy, head.length + BODY.length, 32);
    assertThat(bytes(FramedFile.openLegacy(legacy, "RAMPART-CKPT"))).isEqualTo(BODY);
    legacy[head.length] ^= 1;
    assertThatThrownBy(() -> FramedFile.openLegacy(legacy, "RAMPART-CKPT")).hasMessageContaining("SHA-256");
  }

  @Test
  void magicsAreEightPrintableCharacters() {
    assertThatThrownBy(() -> FramedFile.frame("SHORT", BODY)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FramedFile.frame("WITH SPC", BODY)).isInstanceOf(IllegalArgumentException.class);
    assertThat(FramedFile.hasMagic(FramedFile.frame("RAMPTST2", BODY), "RAMPTST2")).isTrue();
    assertThat(FramedFile.hasMagic(new byte[3], "RAMPTST2")).isFalse();
  }
}
