package dev.rampart.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JournalAnchorTest {
  @Test
  void printedAnchor_parsesBack() {
    byte[] hash = new byte[32];
    hash[0] = (byte) 0xab;
    JournalAnchor a = new JournalAnchor(41, hash);
    assertThat(a.toString()).isEqualTo("41:ab" + "00".repeat(31));
    assertThat(JournalAnchor.parse(a.toString())).isEqualTo(a);
    assertThat(JournalAnchor.parse(" 41 : AB" + "00".repeat(31) + " ")).isEqualTo(a);
  }

  @Test
  void malformedAnchors_sayWhatTheFormIs() {
    for (String bad : new String[] {"", "41", ":ab", "x:" + "00".repeat(32), "41:" + "00".repeat(31),
        "-1:" + "00".repeat(32), "41:zz"}) {
      assertThatThrownBy(() -> JournalAnchor.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("<seq>:<64 hex digits");
    }
    assertThatThrownBy(() -> new JournalAnchor(0, new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hash_isCopied() {
    byte[] hash = new byte[32];
    JournalAnchor a = new JournalAnchor(1, hash);
    hash[0] = 1;
    a.hash()[1] = 1;
    assertThat(a.hash()).isEqualTo(new byte[32]);
  }
}
