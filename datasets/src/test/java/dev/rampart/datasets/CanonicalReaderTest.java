package dev.rampart.datasets;

import static dev.rampart.datasets.TestData.bytes;
import static dev.rampart.datasets.TestData.rawHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CanonicalReaderTest {

  @Test
  void roundTrip_uint8_rowsAndIndependentSha256() throws Exception {
    roundTrip(FeatureType.UINT8);
  }

  @Test
  void roundTrip_float32_rowsAndIndependentSha256() throws Exception {
    roundTrip(FeatureType.FLOAT32);
  }

  /** Writes random rows, reads them back, and checks the id against bytes laid out here by hand. */
  private static void roundTrip(FeatureType type) throws Exception {
    Random random = new Random(42);
    int features = 5;
    int classes = 4;
    int rows = 300;
    float[][] x = new float[rows][features];
    int[] y = new int[rows];
    ByteBuffer expected = ByteBuffer.allocate(28 + rows * (features * type.bytesPerFeature() + 4));
    expected.put("RAMPDS01".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) type.code())
        .put(new byte[3]).putInt(features).putInt(classes).putLong(rows);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(type, features, classes, rows));
    long[] counts = new long[classes];
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < features; f++) {
        if (type == FeatureType.UINT8) {
          x[r][f] = random.nextInt(256);
          expected.put((byte) x[r][f]);
        } else {
          x[r][f] = (float) random.nextGaussian() * 1e3f;
          expected.putFloat(x[r][f]);
        }
      }
      y[r] = random.nextInt(classes);
      expected.putInt(y[r]);
      counts[y[r]]++;
      w.writeRow(x[r], y[r]);
    }
    Summary written = w.finish();
    byte[] bytes = out.toByteArray();
    assertThat(bytes).isEqualTo(expected.array());
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(expected.array()));

    CanonicalReader reader = CanonicalReader.open(new ByteArrayInputStream(bytes));
    assertThat(reader.header()).isEqualTo(new Header(type, features, classes, rows));
    for (int r = 0; r < rows; r++) {
      assertThat(reader.hasNext()).isTrue();
      Row row = reader.next();
      assertThat(row.index()).isEqualTo(r);
      assertThat(row.rawFeatures()).containsExactly(x[r]);
      assertThat(row.label()).isEqualTo(y[r]);
    }
    assertThat(reader.hasNext()).isFalse();
    assertThatThrownBy(reader::next).isInstanceOf(NoSuchElementException.class);

    Summary validated = CanonicalReader.validate(new ByteArrayInputStream(bytes));
    assertThat(validated.sha256Hex()).isEqualTo(sha).isEqualTo(written.sha256Hex());
    assertThat(validated.classCounts()).containsExactly(counts);
    assertThat(validated.header()).isEqualTo(reader.header());
  }

  @Test
  void validate_tinyDatasets_knownSha256() throws Exception {
    assertThat(CanonicalReader.validate(new ByteArrayInputStream(bytes(TestData.TINY_UINT8_HEX))).sha256Hex())
        .isEqualTo(TestData.TINY_UINT8_SHA256);
    assertThat(CanonicalReader.validate(new ByteArrayInputStream(bytes(TestData.TINY_FLOAT32_HEX))).sha256Hex())
        .isEqualTo(TestData.TINY_FLOAT32_SHA256);
  }

  @Test
  void validate_sameBytesTwice_sameSha256() throws Exception {
    byte[] bytes = TestData.tinyFloat32();
    assertThat(CanonicalReader.validate(new ByteArrayInputStream(bytes)).sha256())
        .isEqualTo(CanonicalReader.validate(new ByteArrayInputStream(bytes.clone())).sha256());
  }

  @Test
  void next_uint8_rawAndScaledFeatures() throws Exception {
    CanonicalReader reader = CanonicalReader.open(new ByteArrayInputStream(bytes(TestData.TINY_UINT8_HEX)));
    Row row = reader.next();
    assertThat(row.rawFeatures()).containsExactly(1f, 255f);
    assertThat(row.features()).containsExactly(1f / 255f, 1f);
    assertThat(row.label()).isEqualTo(2);
  }

  @Test
  void everyTruncation_failsWithTruncated() throws Exception {
    byte[] all = bytes(TestData.TINY_UINT8_HEX);
    for (int length = 0; length < all.length; length++) {
      byte[] prefix = Arrays.copyOf(all, length);
      assertThatThrownBy(() -> CanonicalReader.validate(new ByteArrayInputStream(prefix)))
          .as("prefix of %d bytes", length)
          .isInstanceOfSatisfying(DatasetFormatException.class,
              e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED));
    }
  }

  @Test
  void truncatedInsideRecord_messageNamesRecordAndSizes() throws Exception {
    byte[] prefix = Arrays.copyOf(bytes(TestData.TINY_UINT8_HEX), 28 + 6 + 3);
    assertThatThrownBy(() -> CanonicalReader.validate(new ByteArrayInputStream(prefix)))
        .hasMessageContaining("ends inside record 1 (0-based) of 2: expected 40 bytes, got 37");
  }

  @Test
  void trailingByte_failsWithTrailingData() throws Exception {
    byte[] extended = Arrays.copyOf(bytes(TestData.TINY_UINT8_HEX), 41);
    assertThatThrownBy(() -> CanonicalReader.validate(new ByteArrayInputStream(extended)))
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRAILING_DATA))
        .hasMessageContaining("expected exactly 40 bytes");
  }

  @Test
  void trailingData_detectedWhenReadingTheLastRow() throws Exception {
    CanonicalReader reader = CanonicalReader.open(
        new ByteArrayInputStream(Arrays.copyOf(bytes(TestData.TINY_UINT8_HEX), 45)));
    reader.next();
    assertThatThrownBy(reader::next).isInstanceOf(DatasetFormatException.class);
    assertThatThrownBy(reader::next).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void badMagicAndReservedByte_failWithHeader() throws Exception {
    byte[] badMagic = bytes(TestData.TINY_UINT8_HEX);
    badMagic[0] = 'X';
    byte[] reserved = bytes(TestData.TINY_UINT8_HEX);
    reserved[10] = 7;
    for (byte[] b : List.of(badMagic, reserved)) {
      assertThatThrownBy(() -> CanonicalReader.validate(new ByteArrayInputStream(b)))
          .isInstanceOfSatisfying(DatasetFormatException.class,
              e -> assertThat(e.problem()).isEqualTo(Problem.HEADER));
    }
  }

  @Test
  void hugeDeclaredSizes_refusedFromTheHeaderAlone() throws Exception {
    // Nothing follows the header: a reader that allocated or read from the declared sizes first would fail
    // differently (OutOfMemoryError, or TRUNCATED).
    for (byte[] h : List.of(rawHeader(2, Integer.MAX_VALUE, 2, Long.MAX_VALUE), rawHeader(1, 1, 2, 1L << 40),
        rawHeader(2, 1_000_000, 65_535, 100_000_000))) {
      assertThatThrownBy(() -> CanonicalReader.open(new ByteArrayInputStream(h)))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LIMIT));
    }
  }

  @Test
  void largestAllowedDeclaration_withoutData_failsAsTruncatedWithoutReadingFurther() throws Exception {
    // 28 + 2147 × 4 000 004 bytes: just under 8 GiB declared; the stream has only the header and 10 bytes.
    InputStream in = new SequenceInputStream(new ByteArrayInputStream(rawHeader(2, 1_000_000, 2, 2147)),
        new ByteArrayInputStream(new byte[10]));
    assertThatThrownBy(() -> CanonicalReader.validate(in))
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED))
        .hasMessageContaining("record 0 (0-based) of 2147");
  }

  @Test
  void nonFiniteFloat_failsWithValueNamingRecordAndFeature() throws Exception {
    for (int bits : new int[] {0x7fc00000, 0x7f800000, 0xff800000, 0x7f800001}) {
      ByteBuffer b = ByteBuffer.allocate(28 + 2 * 12).put(rawHeader(2, 2, 2, 2));
      b.putFloat(1f).putFloat(2f).putInt(0);
      b.putFloat(3f).putInt(bits).putInt(1);
      assertThatThrownBy(() -> CanonicalReader.validate(new ByteArrayInputStream(b.array())))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.VALUE))
          .hasMessageContaining("record 1 (0-based), feature 1 (0-based)").hasMessageContaining("not finite");
    }
  }

  @Test
  void labelOutOfRange_failsWithLabel() throws Exception {
    for (int label : new int[] {3, -1, Integer.MAX_VALUE}) {
      ByteBuffer b = ByteBuffer.allocate(28 + 5).put(rawHeader(1, 1, 3, 1)).put((byte) 9).putInt(label);
      assertThatThrownBy(() -> CanonicalReader.validate(new ByteArrayInputStream(b.array())))
          .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LABEL))
          .hasMessageContaining("record 0 (0-based): label " + label + " is outside [0, 3)");
    }
  }

  @Test
  void open_readsRowsLazily_andDoesNotCloseTheStream() throws Exception {
    List<String> events = new ArrayList<>();
    InputStream in = new ByteArrayInputStream(bytes(TestData.TINY_UINT8_HEX)) {
      @Override
      public void close() {
        events.add("closed");
      }
    };
    CanonicalReader reader = CanonicalReader.open(in);
    while (reader.hasNext()) {
      events.add("row " + reader.next().label());
    }
    assertThat(events).containsExactly("row 2", "row 0");
  }
}
