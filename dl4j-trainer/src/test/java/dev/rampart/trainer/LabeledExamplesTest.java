package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.CanonicalWriter;
import dev.rampart.datasets.FeatureType;
import dev.rampart.datasets.Header;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabeledExamplesTest {
  @Test
  void of_checksSizesLabelsAndValues() {
    LabeledExamples d = LabeledExamples.of(2, 3, new float[] {0, 1, 2, 3, 4, 5}, new int[] {65_534, 7}, 65_535);
    assertThat(d.label(0)).isEqualTo(65_534);
    assertThat(d.pixel(1, 2)).isEqualTo(5f);
    assertThat(d.rows()).isEqualTo(1);
    assertThat(d.columns()).isEqualTo(3);
    assertThat(d.withShape(3, 1).rows()).isEqualTo(3);
    assertThatThrownBy(() -> LabeledExamples.of(2, 3, new float[5], new int[2], 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 values for 2 examples of 3 features");
    assertThatThrownBy(() -> LabeledExamples.of(2, 3, new float[6], new int[3], 2))
        .hasMessageContaining("3 labels for 2 examples");
    assertThatThrownBy(() -> LabeledExamples.of(2, 3, new float[6], new int[] {0, 2}, 2))
        .hasMessageContaining("label 2 of example 1 is not in [0, 2)");
    assertThatThrownBy(() -> LabeledExamples.of(1, 1, new float[1], new int[1], 65_536))
        .hasMessageContaining("classes must be in 2..65535");
    assertThatThrownBy(() -> LabeledExamples.of(1, 2, new float[] {0, Float.NaN}, new int[1], 2))
        .hasMessageContaining("feature 1 of example 0 is NaN");
    assertThatThrownBy(() -> d.withShape(2, 2)).hasMessageContaining("does not match 3 features");
  }

  private static byte[] canonical(FeatureType type, int features, int classes, int[] labels, float base)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(type, features, classes, labels.length));
    for (int i = 0; i < labels.length; i++) {
      float[] raw = new float[features];
      Arrays.fill(raw, base + i);
      w.writeRow(raw, labels[i]);
    }
    w.finish();
    return out.toByteArray();
  }

  @Test
  void readCanonical_returnsTheUnionInOrder_withModelFacingFeatures() throws Exception {
    byte[] a = canonical(FeatureType.UINT8, 4, 3, new int[] {0, 1}, 0);
    byte[] b = canonical(FeatureType.UINT8, 4, 3, new int[] {2, 2, 1}, 253);
    LabeledExamples d = LabeledExamples.readCanonical(List.of(new ByteArrayInputStream(a), new ByteArrayInputStream(b)));
    assertThat(d.count()).isEqualTo(5);
    assertThat(d.features()).isEqualTo(4);
    assertThat(d.classes()).isEqualTo(3);
    assertThat(new int[] {d.label(0), d.label(1), d.label(2), d.label(3), d.label(4)}).containsExactly(0, 1, 2, 2, 1);
    assertThat(d.pixel(1, 0)).isEqualTo(1 / 255f);
    assertThat(d.pixel(4, 3)).isEqualTo(1f); // 255 / 255
    byte[] f = canonical(FeatureType.FLOAT32, 2, 2, new int[] {1}, -3.5f);
    assertThat(LabeledExamples.readCanonical(List.of(new ByteArrayInputStream(f))).pixel(0, 1)).isEqualTo(-3.5f);
  }

  @Test
  void readCanonical_refusesMismatchedOrBadDatasets_andReturnsNothingPartial() throws Exception {
    byte[] a = canonical(FeatureType.UINT8, 4, 3, new int[] {0, 1}, 0);
    byte[] wider = canonical(FeatureType.UINT8, 5, 3, new int[] {0}, 0);
    assertThatThrownBy(() -> LabeledExamples.readCanonical(List.of(new ByteArrayInputStream(a),
        new ByteArrayInputStream(wider)))).isInstanceOf(TrainingDataException.class)
        .hasMessageContaining("dataset 2 of 2 has 5 UINT8 features and 3 classes, but dataset 1 has 4 UINT8 features"
            + " and 3 classes");
    byte[] moreClasses = canonical(FeatureType.UINT8, 4, 4, new int[] {0}, 0);
    assertThatThrownBy(() -> LabeledExamples.readCanonical(List.of(new ByteArrayInputStream(a),
        new ByteArrayInputStream(moreClasses)))).hasMessageContaining("4 classes");
    byte[] truncated = Arrays.copyOf(a, a.length - 1);
    assertThatThrownBy(() -> LabeledExamples.readCanonical(List.of(new ByteArrayInputStream(a),
        new ByteArrayInputStream(truncated)))).isInstanceOf(TrainingDataException.class)
        .hasMessageContaining("dataset 2 of 2: canonical data ends inside record 1");
    byte[] trailing = Arrays.copyOf(a, a.length + 1);
    assertThatThrownBy(() -> LabeledExamples.readCanonical(List.of(new ByteArrayInputStream(trailing))))
        .hasMessageContaining("the dataset: canonical data goes on after the last");
    // a stream that fails as it is read (e.g. its authentication tag does not verify): the failure propagates
    InputStream failing = new FilterInputStream(new ByteArrayInputStream(a)) {
      private int left = 40;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) {
          throw new IOException("authentication failed");
        }
        int n = super.read(b, off, Math.min(len, left));
        left -= Math.max(n, 0);
        return n;
      }
    };
    assertThatThrownBy(() -> LabeledExamples.readCanonical(List.of(failing))).isInstanceOf(IOException.class)
        .hasMessage("authentication failed");
  }

  @Test
  void head_keepsShapeAndLabels() throws Exception {
    LabeledExamples d = LabeledExamples.of(3, 4, new float[12], new int[] {2, 1, 0}, 3).withShape(2, 2);
    LabeledExamples h = d.head(2);
    assertThat(h.count()).isEqualTo(2);
    assertThat(h.rows()).isEqualTo(2);
    assertThat(h.label(1)).isEqualTo(1);
    assertThat(d.head(10).count()).isEqualTo(3);
    assertThatThrownBy(() -> d.head(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
