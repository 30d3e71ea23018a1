package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FeatureTypeTest {

  @Test
  void codesAndSizes_areTheFrozenOnes() {
    assertThat(FeatureType.UINT8.code()).isEqualTo(1);
    assertThat(FeatureType.FLOAT32.code()).isEqualTo(2);
    assertThat(FeatureType.UINT8.bytesPerFeature()).isEqualTo(1);
    assertThat(FeatureType.FLOAT32.bytesPerFeature()).isEqualTo(4);
  }

  @Test
  void fromCode_unknown_isNull() {
    assertThat(FeatureType.fromCode(2)).isEqualTo(FeatureType.FLOAT32);
    assertThat(FeatureType.fromCode(0)).isNull();
    assertThat(FeatureType.fromCode(3)).isNull();
  }

  @Test
  void scale_uint8DividesBy255_float32Unchanged() {
    assertThat(FeatureType.UINT8.scale(0)).isEqualTo(0f);
    assertThat(FeatureType.UINT8.scale(255)).isEqualTo(1f);
    assertThat(FeatureType.UINT8.scale(51)).isEqualTo(51f / 255f);
    assertThat(FeatureType.FLOAT32.scale(-7.25f)).isEqualTo(-7.25f);
  }
}
