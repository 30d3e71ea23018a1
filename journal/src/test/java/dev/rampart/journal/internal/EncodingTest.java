package dev.rampart.journal.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class EncodingTest {
  @Test
  void fields_areLengthPrefixed_andReadBack() {
    byte[] b = new Encoding.Writer().field("ab").field(258L).field(new byte[] {7}).toByteArray();
    assertThat(HexFormat.of().formatHex(b)).isEqualTo("000000026162" + "00000008" + "0000000000000102"
        + "0000000107");
    Encoding.Reader r = new Encoding.Reader(b);
    assertThat(r.asciiField("s", 10)).isEqualTo("ab");
    assertThat(r.longField("n")).isEqualTo(258);
    assertThat(r.field("b", 1)).containsExactly(7);
    r.requireEnd();
  }

  @Test
  void shortLongOrTrailingInput_isRefusedByFieldName() {
    byte[] b = new Encoding.Writer().field("abc").toByteArray();
    assertThatThrownBy(() -> new Encoding.Reader(b).field("name", 2)).hasMessageContaining("'name'");
    assertThatThrownBy(() -> new Encoding.Reader(java.util.Arrays.copyOf(b, 5)).field("name", 9))
        .hasMessageContaining("ends inside 'name'");
    assertThatThrownBy(() -> new Encoding.Reader(new byte[2]).field("name", 9))
        .hasMessageContaining("before the length of 'name'");
    assertThatThrownBy(() -> new Encoding.Reader(b).longField("n")).hasMessageContaining("'n'");
    assertThatThrownBy(() -> new Encoding.Reader(new Encoding.Writer().field(new byte[] {1}).toByteArray())
        .asciiField("t", 9)).hasMessageContaining("ASCII");
    Encoding.Reader r = new Encoding.Reader(java.util.Arrays.copyOf(b, 8));
    r.field("name", 9);
    assertThatThrownBy(r::requireEnd).hasMessageContaining("1 bytes follow");
  }
}
