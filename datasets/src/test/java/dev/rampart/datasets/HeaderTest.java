package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HeaderTest {

  @Test
  void rowAndTotalBytes_uint8() {
    Header h = new Header(FeatureType.UINT8, 784, 10, 60_000);
    assertThat(h.rowBytes()).isEqualTo(788);
    assertThat(h.totalBytes()).isEqualTo(28 + 60_000L * 788);
  }

  @Test
  void rowAndTotalBytes_float32() {
    Header h = new Header(FeatureType.FLOAT32, 3, 2, 5);
    assertThat(h.rowBytes()).isEqualTo(16);
    assertThat(h.totalBytes()).isEqualTo(28 + 80);
  }

  @Test
  void limits_inclusiveBoundsAccepted() {
    new Header(FeatureType.UINT8, 1, 2, 1);
    new Header(FeatureType.UINT8, 1_000_000, 65_535, 8_000);
    new Header(FeatureType.UINT8, 1, 2, 100_000_000);
    // 28 + 2147 × 4 000 004 bytes = 8 588 008 616 ≤ 8 GiB
    assertThat(new Header(FeatureType.FLOAT32, 1_000_000, 2, 2147).totalBytes()).isLessThanOrEqualTo(8L << 30);
  }

  @Test
  void featureCountOutsideLimits_fails() {
    assertThatThrownBy(() -> new Header(FeatureType.UINT8, 0, 2, 1)).hasMessageContaining("featureCount 0");
    assertThatThrownBy(() -> new Header(FeatureType.UINT8, 1_000_001, 2, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("featureCount 1000001");
  }

  @Test
  void classCountOutsideLimits_fails() {
    assertThatThrownBy(() -> new Header(FeatureType.UINT8, 1, 1, 1)).hasMessageContaining("classCount 1");
    assertThatThrownBy(() -> new Header(FeatureType.UINT8, 1, 65_536, 1)).hasMessageContaining("classCount 65536");
  }

  @Test
  void rowCountOutsideLimits_fails() {
    assertThatThrownBy(() -> new Header(FeatureType.UINT8, 1, 2, 0)).hasMessageContaining("rowCount 0");
    assertThatThrownBy(() -> new Header(FeatureType.UINT8, 1, 2, 100_000_001))
        .hasMessageContaining("rowCount 100000001");
  }

  @Test
  void totalAbove8GiB_fails() {
    assertThatThrownBy(() -> new Header(FeatureType.FLOAT32, 1_000_000, 2, 2148))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("8592008620 bytes").hasMessageContaining("split it");
  }
}
