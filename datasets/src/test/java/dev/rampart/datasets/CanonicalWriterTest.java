package dev.rampart.datasets;

import static dev.rampart.datasets.TestData.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class CanonicalWriterTest {

  @Test
  void tinyUint8_exactBytesAndKnownSha256() throws Exception {
    byte[] bytes = TestData.tinyUint8();
    assertThat(hex(bytes)).isEqualTo(TestData.TINY_UINT8_HEX);
    assertThat(hex(MessageDigest.getInstance("SHA-256").digest(bytes))).isEqualTo(TestData.TINY_UINT8_SHA256);
  }

  @Test
  void tinyFloat32_exactBytes() throws Exception {
    assertThat(hex(TestData.tinyFloat32())).isEqualTo(TestData.TINY_FLOAT32_HEX);
  }

  @Test
  void finish_returnsSha256OfWrittenBytesAndClassCounts() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(FeatureType.UINT8, 2, 3, 2));
    w.writeRow(new float[] {1, 255}, 2);
    w.writeRow(new float[] {0, 16}, 0);
    Summary s = w.finish();
    assertThat(s.sha256Hex()).isEqualTo(TestData.TINY_UINT8_SHA256);
    assertThat(s.classCounts()).containsExactly(1, 0, 1);
    assertThat(w.finish()).isSameAs(s);
  }

  @Test
  void wrongFeatureCount_failsWithShape_andWritesNothing() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(FeatureType.UINT8, 2, 3, 2));
    w.writeRow(new float[] {1, 255}, 2);
    assertThatThrownBy(() -> w.writeRow(new float[] {1, 2, 3}, 0))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SHAPE))
        .hasMessageContaining("record 1 (0-based) has 3 features, the header declares 2");
    w.writeRow(new float[] {0, 16}, 0);
    w.finish();
    assertThat(hex(out.toByteArray())).isEqualTo(TestData.TINY_UINT8_HEX);
  }

  @Test
  void nonFiniteFloat_failsWithValueNamingRecordAndFeature() throws Exception {
    CanonicalWriter w = CanonicalWriter.open(new ByteArrayOutputStream(), new Header(FeatureType.FLOAT32, 3, 2, 1));
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      assertThatThrownBy(() -> w.writeRow(new float[] {0, 1, bad}, 0))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.VALUE))
          .hasMessageContaining("record 0 (0-based), feature 2 (0-based)").hasMessageContaining("not finite");
    }
  }

  @Test
  void nonByteValueInUint8_failsWithValue() throws Exception {
    CanonicalWriter w = CanonicalWriter.open(new ByteArrayOutputStream(), new Header(FeatureType.UINT8, 1, 2, 1));
    for (float bad : new float[] {256, -1, 0.5f, Float.NaN}) {
      assertThatThrownBy(() -> w.writeRow(new float[] {bad}, 0))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.VALUE))
          .hasMessageContaining("is not a UINT8 value");
    }
  }

  @Test
  void labelOutOfRange_failsWithLabel() throws Exception {
    CanonicalWriter w = CanonicalWriter.open(new ByteArrayOutputStream(), new Header(FeatureType.UINT8, 1, 3, 1));
    for (int bad : new int[] {-1, 3}) {
      assertThatThrownBy(() -> w.writeRow(new float[] {0}, bad))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LABEL))
          .hasMessageContaining("label " + bad + " is outside [0, 3)");
    }
  }

  @Test
  void moreRowsThanDeclared_failsWithShape() throws Exception {
    CanonicalWriter w = CanonicalWriter.open(new ByteArrayOutputStream(), new Header(FeatureType.UINT8, 1, 2, 1));
    w.writeRow(new float[] {0}, 0);
    assertThatThrownBy(() -> w.writeRow(new float[] {0}, 0))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SHAPE))
        .hasMessageContaining("record 1 (0-based) is one more than the 1 records");
  }

  @Test
  void finishWithFewerRows_fails_thenSucceedsOnceComplete() throws Exception {
    CanonicalWriter w = CanonicalWriter.open(new ByteArrayOutputStream(), new Header(FeatureType.UINT8, 1, 2, 2));
    w.writeRow(new float[] {0}, 0);
    assertThatThrownBy(w::finish)
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED))
        .hasMessageContaining("only 1 of the 2 records");
    w.writeRow(new float[] {7}, 1);
    assertThat(w.finish().classCounts()).containsExactly(1, 1);
  }

  @Test
  void writeAfterFinish_isIllegalState() throws Exception {
    CanonicalWriter w = CanonicalWriter.open(new ByteArrayOutputStream(), new Header(FeatureType.UINT8, 1, 2, 1));
    w.writeRow(new float[] {0}, 0);
    w.finish();
    assertThatThrownBy(() -> w.writeRow(new float[] {0}, 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void finish_doesNotCloseTheStream() throws Exception {
    boolean[] closed = {false};
    ByteArrayOutputStream out = new ByteArrayOutputStream() {
      @Override
      public void close() {
        closed[0] = true;
      }
    };
    CanonicalWriter w = CanonicalWriter.open(out, new Header(FeatureType.UINT8, 1, 2, 1));
    w.writeRow(new float[] {0}, 0);
    w.finish();
    assertThat(closed[0]).isFalse();
    assertThat(out.size()).isEqualTo(33);
  }
}
