package dev.rampart.datasets;

import static dev.rampart.datasets.TestData.bytes;
import static dev.rampart.datasets.TestData.hex;
import static dev.rampart.datasets.TestData.rawHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.DatasetFormatException.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CanonicalFormatTest {

  @Test
  void encodeHeader_exactBytes() {
    byte[] h = CanonicalFormat.encodeHeader(new Header(FeatureType.FLOAT32, 784, 10, 0x010203L));
    assertThat(hex(h)).isEqualTo("52414d5044533031" + "02" + "000000" + "00000310" + "0000000a"
        + "0000000000010203");
  }

  @Test
  void decodeHeader_ofEncoded_isEqual() throws Exception {
    Header h = new Header(FeatureType.UINT8, 3, 65_535, 99_999_999);
    assertThat(CanonicalFormat.decodeHeader(CanonicalFormat.encodeHeader(h))).isEqualTo(h);
  }

  @Test
  void decodeHeader_badMagic_failsWithHeader() throws Exception {
    byte[] h = rawHeader(1, 2, 2, 1);
    h[7] = '2'; // "RAMPDS02"
    assertThatThrownBy(() -> CanonicalFormat.decodeHeader(h))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.HEADER))
        .hasMessageContaining("52 41 4D 50 44 53 30 32").hasMessageContaining("not a Rampart canonical dataset");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 255})
  void decodeHeader_unknownType_failsWithHeader(int code) throws Exception {
    assertThatThrownBy(() -> CanonicalFormat.decodeHeader(rawHeader(code, 2, 2, 1)))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.HEADER))
        .hasMessageContaining("feature type byte (offset 8) is " + code);
  }

  @ParameterizedTest
  @ValueSource(ints = {9, 10, 11})
  void decodeHeader_nonZeroReserved_failsNamingOffset(int offset) throws Exception {
    byte[] h = rawHeader(1, 2, 2, 1);
    h[offset] = 1;
    assertThatThrownBy(() -> CanonicalFormat.decodeHeader(h))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.HEADER))
        .hasMessageContaining("reserved byte at offset " + offset);
  }

  @Test
  void decodeHeader_hugeOrNegativeSizes_failWithLimit() throws Exception {
    byte[][] headers = {
      rawHeader(2, Integer.MAX_VALUE, 10, 1),
      rawHeader(2, -1, 10, 1),
      rawHeader(1, 10, Integer.MIN_VALUE, 1),
      rawHeader(1, 10, 10, Long.MAX_VALUE),
      rawHeader(1, 10, 10, -5),
      rawHeader(2, 1_000_000, 10, 100_000_000), // each field in range, the total 400 TB is not
    };
    for (byte[] h : headers) {
      assertThatThrownBy(() -> CanonicalFormat.decodeHeader(h))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LIMIT))
          .hasMessageStartingWith("canonical header: ");
    }
  }

  @Test
  void decodeHeader_tinyDatasetPrefix() throws Exception {
    byte[] all = bytes(TestData.TINY_UINT8_HEX);
    Header h = CanonicalFormat.decodeHeader(java.util.Arrays.copyOf(all, 28));
    assertThat(h).isEqualTo(new Header(FeatureType.UINT8, 2, 3, 2));
  }
}
