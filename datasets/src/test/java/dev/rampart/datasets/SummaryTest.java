package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SummaryTest {

  @Test
  void sha256Hex_isLowerCaseHexOfTheDigest_andArraysAreCopies() {
    byte[] sha = new byte[32];
    sha[0] = (byte) 0xAB;
    sha[31] = 0x01;
    long[] counts = {3, 4};
    Summary s = new Summary(new Header(FeatureType.UINT8, 1, 2, 7), sha, counts);
    assertThat(s.sha256Hex()).isEqualTo("ab" + "00".repeat(30) + "01");
    sha[0] = 0;
    counts[0] = 0;
    s.sha256()[1] = 5;
    s.classCounts()[1] = 0;
    assertThat(s.sha256()).isEqualTo(java.util.HexFormat.of().parseHex(s.sha256Hex()));
    assertThat(s.sha256()[0]).isEqualTo((byte) 0xAB);
    assertThat(s.classCounts()).containsExactly(3, 4);
  }
}
