package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RowTest {

  @Test
  void uint8_featuresScaledBy255_rawUnchanged() {
    Row row = new Row(7, FeatureType.UINT8, new float[] {0, 51, 255}, 1);
    assertThat(row.index()).isEqualTo(7);
    assertThat(row.featureCount()).isEqualTo(3);
    assertThat(row.rawFeatures()).containsExactly(0f, 51f, 255f);
    assertThat(row.features()).containsExactly(0f, 0.2f, 1f);
    assertThat(row.feature(1)).isEqualTo(0.2f);
    assertThat(row.rawFeature(2)).isEqualTo(255f);
  }

  @Test
  void float32_featuresEqualRaw() {
    Row row = new Row(0, FeatureType.FLOAT32, new float[] {-1.5f, 3e10f}, 0);
    assertThat(row.features()).containsExactly(-1.5f, 3e10f);
  }

  @Test
  void returnedArrays_areCopies() {
    Row row = new Row(0, FeatureType.FLOAT32, new float[] {1f}, 0);
    row.rawFeatures()[0] = 9f;
    row.features()[0] = 9f;
    assertThat(row.rawFeature(0)).isEqualTo(1f);
  }
}
