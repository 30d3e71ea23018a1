package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxSourceTest {
  private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  private static final Path TRAIN_IMAGES = FASHION.resolve("train-images-idx3-ubyte.gz");
  private static final Path TRAIN_LABELS = FASHION.resolve("train-labels-idx1-ubyte.gz");
  // Canonical SHA-256s computed by an independent Python/numpy implementation of the layout from the same files.
  private static final String TRAIN_SHA256 = "b72e33790f7c5c279aa0509e56e9e171d376ea1a345e169c55cb86bf6afcd5e7";
  private static final String TRAIN_FIRST_HALF_SHA256 =
      "b514dda175cf41f4b53b62e37940c9f7992c1892064f71d103b3463c5fff8bd3";
  private static final String TRAIN_SECOND_HALF_SHA256 =
      "f44f2fd87cea0f35d3522c91dfaba1582e3d667b66c5e82f874db6d26a3e4af3";
  private static final String T10K_SHA256 = "8de739090d19e3ac9c3151be09872ccc80316855f0c897e899683cf3560bc882";

  @TempDir Path dir;

  @Test
  void fashionMnistTrain_shapeKnownSha256AndMeanPixel() throws Exception {
    IdxSource source = IdxSource.open(TRAIN_IMAGES, TRAIN_LABELS);
    assertThat(source.header()).isEqualTo(new Header(FeatureType.UINT8, 784, 10, 60_000));
    Path canonical = dir.resolve("train.rds");
    Summary written;
    try (OutputStream out = Files.newOutputStream(canonical)) {
      written = source.writeCanonical(out);
    }
    assertThat(written.sha256Hex()).isEqualTo(TRAIN_SHA256);
    assertThat(written.classCounts()).containsOnly(6000);
    assertThat(Files.size(canonical)).isEqualTo(28 + 60_000L * 788);

    double sum = 0;
    long rows = 0;
    try (InputStream in = Files.newInputStream(canonical)) {
      CanonicalReader reader = CanonicalReader.open(in);
      while (reader.hasNext()) {
        for (float v : reader.next().features()) {
          sum += v;
        }
        rows++;
      }
    }
    assertThat(rows).isEqualTo(60_000);
    assertThat(sum / (60_000.0 * 784)).isCloseTo(0.286041, org.assertj.core.data.Offset.offset(1e-6));
    try (InputStream in = Files.newInputStream(canonical)) {
      assertThat(CanonicalReader.validate(in).sha256Hex()).isEqualTo(TRAIN_SHA256);
    }
  }

  @Test
  void fashionMnistTest_knownSha256() throws Exception {
    IdxSource source = IdxSource.open(FASHION.resolve("t10k-images-idx3-ubyte.gz"),
        FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10);
    assertThat(source.header().rowCount()).isEqualTo(10_000);
    assertThat(source.writeCanonical(OutputStream.nullOutputStream()).sha256Hex()).isEqualTo(T10K_SHA256);
  }

  @Test
  void fashionMnistTrain_halvesConcatenateToTheWhole() throws Exception {
    IdxSource whole = IdxSource.open(TRAIN_IMAGES, TRAIN_LABELS);
    IdxSource first = whole.rows(0, 30_000);
    IdxSource second = whole.rows(30_000, 60_000);
    assertThat(first.header().rowCount()).isEqualTo(30_000);
    assertThat(second.header().rowCount()).isEqualTo(30_000);

    MessageDigest wholeRecords = MessageDigest.getInstance("SHA-256");
    whole.writeCanonical(new RecordDigester(wholeRecords));
    MessageDigest halvesRecords = MessageDigest.getInstance("SHA-256");
    Summary a = first.writeCanonical(new RecordDigester(halvesRecords));
    Summary b = second.writeCanonical(new RecordDigester(halvesRecords));

    assertThat(halvesRecords.digest()).isEqualTo(wholeRecords.digest());
    assertThat(a.sha256Hex()).isEqualTo(TRAIN_FIRST_HALF_SHA256);
    assertThat(b.sha256Hex()).isEqualTo(TRAIN_SECOND_HALF_SHA256);
  }

  @Test
  void rowsOfRows_countFromTheRangeStart() throws Exception {
    writeIdx(5, 2, 3, false, 0);
    IdxSource all = open();
    ByteArrayOutputStream direct = new ByteArrayOutputStream();
    all.rows(2, 4).writeCanonical(direct);
    ByteArrayOutputStream nested = new ByteArrayOutputStream();
    all.rows(1, 5).rows(1, 3).writeCanonical(nested);
    assertThat(nested.toByteArray()).isEqualTo(direct.toByteArray());
    assertThatThrownBy(() -> all.rows(1, 5).rows(0, 5)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> all.rows(3, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> all.rows(-1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void rawAndGzipped_giveTheSameBytes_equalToTheIdxContent() throws Exception {
    writeIdx(3, 2, 2, false, 0);
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    open().writeCanonical(raw);
    writeIdx(3, 2, 2, true, 0);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    open().writeCanonical(gz);
    assertThat(gz.toByteArray()).isEqualTo(raw.toByteArray());
    // Image i has pixels (i*4 + p) and label i % 10 (see writeIdx).
    assertThat(HexFormat.of().formatHex(Arrays.copyOfRange(raw.toByteArray(), 28, 28 + 16)))
        .isEqualTo("00010203" + "00000000" + "04050607" + "00000001");
  }

  @Test
  void swappedFiles_failWithHeaderAndHint() throws Exception {
    writeIdx(3, 2, 2, true, 0);
    assertThatThrownBy(() -> IdxSource.open(dir.resolve("labels"), dir.resolve("images")))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.HEADER))
        .hasMessageContaining("labels: magic is 0x00000801, expected 0x00000803")
        .hasMessageContaining("swapped");
  }

  @Test
  void wrongMagic_failsWithHeader() throws Exception {
    writeIdx(3, 2, 2, false, 0);
    byte[] images = Files.readAllBytes(dir.resolve("images"));
    images[2] = 0x0D; // IDX float images
    Files.write(dir.resolve("images"), images);
    assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.HEADER))
        .hasMessageContaining("images: magic is 0x00000D03");
  }

  @Test
  void countMismatch_failsWithShape() throws Exception {
    writeIdx(3, 2, 2, false, 0);
    Files.write(dir.resolve("labels"), idxLabels(4));
    assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SHAPE))
        .hasMessageContaining("images has 3 images but labels has 4 labels");
  }

  @Test
  void truncatedGzip_failsWithTruncated() throws Exception {
    byte[] gz = Files.readAllBytes(TRAIN_LABELS);
    Files.copy(TRAIN_IMAGES, dir.resolve("images"));
    Files.write(dir.resolve("labels"), Arrays.copyOf(gz, gz.length / 2));
    IdxSource source = open(); // the headers are intact
    assertThatThrownBy(() -> source.writeCanonical(OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED))
        .hasMessageContaining("labels: the gzip stream ends early");
  }

  @Test
  void corruptGzipHeader_failsWithSyntax() throws Exception {
    writeIdx(3, 2, 2, true, 0);
    byte[] gz = Files.readAllBytes(dir.resolve("images"));
    gz[2] = 7; // compression method: only 8 (deflate) exists
    Files.write(dir.resolve("images"), gz);
    assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SYNTAX))
        .hasMessageContaining("images: the gzip data is corrupt");
  }

  @Test
  void corruptGzipChecksum_failsWithSyntax() throws Exception {
    writeIdx(3, 2, 2, true, 0);
    byte[] gz = Files.readAllBytes(dir.resolve("labels"));
    gz[gz.length - 8] ^= 1; // CRC-32 of the uncompressed data
    Files.write(dir.resolve("labels"), gz);
    IdxSource source = open();
    assertThatThrownBy(() -> source.writeCanonical(OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SYNTAX))
        .hasMessageContaining("labels: the gzip data is corrupt");
  }

  @Test
  void truncatedRawImages_failsNamingTheImage() throws Exception {
    writeIdx(3, 2, 2, false, 0);
    byte[] images = Files.readAllBytes(dir.resolve("images"));
    Files.write(dir.resolve("images"), Arrays.copyOf(images, images.length - 1));
    IdxSource source = open();
    assertThatThrownBy(() -> source.writeCanonical(OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED))
        .hasMessageContaining("images ends inside image 2 (0-based)");
  }

  @Test
  void trailingBytes_failWithTrailingData() throws Exception {
    writeIdx(3, 2, 2, false, 1);
    IdxSource source = open();
    assertThatThrownBy(() -> source.writeCanonical(OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRAILING_DATA));
  }

  @Test
  void labelNotBelowClassCount_failsWithLabel_evenOutsideTheRange() throws Exception {
    writeIdx(12, 1, 1, false, 0); // labels 0..9, 0, 1
    IdxSource source = IdxSource.open(dir.resolve("images"), dir.resolve("labels"), 5);
    assertThatThrownBy(() -> source.rows(0, 2).writeCanonical(OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LABEL))
        .hasMessageContaining("label record 5 (0-based) is 5, outside [0, 5)");
  }

  @Test
  void hugeDims_failWithLimitBeforeReadingPixels() throws Exception {
    Files.write(dir.resolve("images"), ByteBuffer.allocate(16).putInt(0x803).putInt(3).putInt(2000).putInt(2000)
        .array());
    Files.write(dir.resolve("labels"), idxLabels(3));
    assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LIMIT))
        .hasMessageContaining("featureCount 4000000");
    Files.write(dir.resolve("images"), ByteBuffer.allocate(16).putInt(0x803).putInt(-1).putInt(2).putInt(2)
        .array());
    assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.LIMIT))
        .hasMessageContaining("image count is 4294967295");
  }

  @Test
  void emptyFile_failsWithTruncated() throws Exception {
    writeIdx(3, 2, 2, false, 0);
    Files.write(dir.resolve("labels"), new byte[0]);
    assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(DatasetFormatException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED));
  }

  private IdxSource open() throws Exception {
    return IdxSource.open(dir.resolve("images"), dir.resolve("labels"));
  }

  /** Writes "images" (pixel p of image i = (i*rows*cols + p) mod 256) and "labels" (i mod 10). */
  private void writeIdx(int count, int rows, int cols, boolean gzip, int extraImageBytes) throws Exception {
    ByteBuffer images = ByteBuffer.allocate(16 + count * rows * cols + extraImageBytes)
        .putInt(0x00000803).putInt(count).putInt(rows).putInt(cols);
    for (int i = 0; i < count * rows * cols; i++) {
      images.put((byte) i);
    }
    write(dir.resolve("images"), images.array(), gzip);
    write(dir.resolve("labels"), idxLabels(count), gzip);
  }

  private static byte[] idxLabels(int count) {
    ByteBuffer labels = ByteBuffer.allocate(8 + count).putInt(0x00000801).putInt(count);
    for (int i = 0; i < count; i++) {
      labels.put((byte) (i % 10));
    }
    return labels.array();
  }

  private static void write(Path path, byte[] bytes, boolean gzip) throws Exception {
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(path)) : Files.newOutputStream(path)) {
      out.write(bytes);
    }
  }

  /** Digests everything after the 28-byte header: the records alone. */
  private static final class RecordDigester extends OutputStream {
    private final MessageDigest digest;
    private long seen;

    RecordDigester(MessageDigest digest) {
      this.digest = digest;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      int skip = (int) Math.max(0, Math.min(len, 28 - seen));
      digest.update(b, off + skip, len - skip);
      seen += len;
    }
  }
}
