package dev.rampart.datasets;

import static dev.rampart.datasets.TestData.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The push validator, fed in pieces of every size, agrees with the stream reader's validation. */
class CanonicalValidatorTest {

  /** Feeds {@code data} in pieces whose sizes {@code sizes} draws, then finishes. */
  private static Summary feed(byte[] data, Random sizes, int maxPiece) throws DatasetFormatException {
    CanonicalValidator v = new CanonicalValidator();
    for (int at = 0; at < data.length; ) {
      int n = Math.min(data.length - at, sizes.nextInt(maxPiece + 1));
      v.update(data, at, n);
      at += n;
    }
    return v.finish();
  }

  @Test
  void everyPieceSize_givesTheReadersSummary() throws Exception {
    for (byte[] data : new byte[][] {bytes(TestData.TINY_UINT8_HEX), bytes(TestData.TINY_FLOAT32_HEX)}) {
      Summary whole = CanonicalReader.validate(new java.io.ByteArrayInputStream(data));
      for (int max = 1; max <= data.length + 1; max++) {
        Summary s = feed(data, new Random(max), max);
        assertThat(s.sha256()).isEqualTo(whole.sha256());
        assertThat(s.classCounts()).isEqualTo(whole.classCounts());
        assertThat(s.header()).isEqualTo(whole.header());
      }
    }
    assertThat(feed(bytes(TestData.TINY_UINT8_HEX), new Random(1), 3).sha256Hex())
        .isEqualTo(TestData.TINY_UINT8_SHA256);
  }

  @Test
  void largerData_inChunkSizedPiecesThatSplitRecords() throws Exception {
    Random r = new Random(7);
    Header h = new Header(FeatureType.FLOAT32, 33, 5, 4000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, h);
    for (int i = 0; i < h.rowCount(); i++) {
      float[] x = new float[h.featureCount()];
      for (int f = 0; f < x.length; f++) {
        x[f] = (float) r.nextGaussian();
      }
      w.writeRow(x, r.nextInt(5));
    }
    w.finish();
    byte[] data = out.toByteArray();
    Summary whole = CanonicalReader.validate(new java.io.ByteArrayInputStream(data));
    // 1000-byte pieces split records (rowBytes = 136) at a different place in every piece
    CanonicalValidator v = new CanonicalValidator();
    for (int at = 0; at < data.length; at += 1000) {
      v.update(data, at, Math.min(1000, data.length - at));
    }
    assertThat(v.bytes()).isEqualTo(data.length);
    assertThat(v.finish().sha256()).isEqualTo(whole.sha256());
  }

  @Test
  void defectsInAnyPiece_areTheReadersProblems() throws Exception {
    byte[] ok = bytes(TestData.TINY_UINT8_HEX);
    byte[] trailing = Arrays.copyOf(ok, ok.length + 1);
    byte[] badLabel = ok.clone();
    badLabel[badLabel.length - 1] = 9; // the last record's label: 9 is outside [0, 3)
    byte[] badMagic = ok.clone();
    badMagic[2] = 'X';
    for (int max = 1; max <= 12; max++) {
      int m = max;
      assertThatThrownBy(() -> feed(trailing, new Random(m), m)).isInstanceOfSatisfying(
          DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TRAILING_DATA));
      assertThatThrownBy(() -> feed(badLabel, new Random(m), m)).isInstanceOfSatisfying(
          DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LABEL));
      assertThatThrownBy(() -> feed(badMagic, new Random(m), m)).isInstanceOfSatisfying(
          DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.HEADER));
      for (int length = 0; length < ok.length; length++) {
        byte[] prefix = Arrays.copyOf(ok, length);
        assertThatThrownBy(() -> feed(prefix, new Random(m), m)).isInstanceOfSatisfying(
            DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED));
      }
    }
    ByteBuffer nan = ByteBuffer.allocate(28 + 12).put(TestData.rawHeader(2, 2, 2, 1)).putFloat(1f)
        .putFloat(Float.NaN).putInt(0);
    assertThatThrownBy(() -> feed(nan.array(), new Random(3), 5))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.VALUE))
        .hasMessageContaining("record 0 (0-based), feature 1 (0-based)");
  }

  @Test
  void aFailedValidator_isSpent() throws Exception {
    CanonicalValidator v = new CanonicalValidator();
    byte[] bad = bytes(TestData.TINY_UINT8_HEX);
    bad[0] = 'X';
    assertThatThrownBy(() -> v.update(bad, 0, bad.length)).isInstanceOf(DatasetFormatException.class);
    assertThatThrownBy(() -> v.update(bad, 0, 1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(v::finish).isInstanceOf(IllegalStateException.class);
  }
}
