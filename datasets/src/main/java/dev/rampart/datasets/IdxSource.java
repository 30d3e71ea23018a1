package dev.rampart.datasets;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A labelled image set in the IDX format of MNIST and Fashion-MNIST: an images file (magic 0x00000803:
 * unsigned bytes, 3 dimensions: count × rows × cols) and a labels file (magic 0x00000801: unsigned bytes,
 * 1 dimension: count), each gzipped or raw (told apart by the gzip magic 1F 8B, so file names do not matter).
 * It converts to canonical UINT8 records of rows × cols pixels in row-major order, labelled by the label byte.
 *
 * <p>{@link #rows} selects a contiguous range of examples, e.g. to split one training set between two
 * parties. Conversion always reads and validates both whole files, so each range of a given pair of files is
 * accepted or refused alike. Immutable; the files are read on each {@link #writeCanonical}.
 */
public final class IdxSource implements DatasetSource {
  /** Classes when none are given: MNIST and Fashion-MNIST have ten. */
  public static final int DEFAULT_CLASS_COUNT = 10;

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  private final Path images;
  private final Path labels;
  private final Dims dims;
  private final int classCount;
  private final long from;
  private final Header header;

  private IdxSource(Path images, Path labels, Dims dims, int classCount, long from, long to) {
    this.images = images;
    this.labels = labels;
    this.dims = dims;
    this.classCount = classCount;
    this.from = from;
    this.header = new Header(FeatureType.UINT8, dims.rows * dims.cols, classCount, to - from);
  }

  /** As {@link #open(Path, Path, int)} with {@value #DEFAULT_CLASS_COUNT} classes. */
  public static IdxSource open(Path images, Path labels) throws IOException, DatasetFormatException {
    return open(images, labels, DEFAULT_CLASS_COUNT);
  }

  /**
   * Reads and checks both files' headers (magics, dimensions, equal counts, limits). The pixels and labels are
   * checked by {@link #writeCanonical}.
   *
   * @param classCount labels must be below it; 2..{@value CanonicalFormat#MAX_CLASSES}
   * @throws DatasetFormatException {@link Problem#HEADER} for a wrong magic, {@link Problem#SHAPE} if the counts
   *     differ, {@link Problem#LIMIT} for sizes outside the limits, {@link Problem#TRUNCATED} or
   *     {@link Problem#SYNTAX} for a file cut short or a corrupt gzip stream
   */
  public static IdxSource open(Path images, Path labels, int classCount)
      throws IOException, DatasetFormatException {
    if (classCount < CanonicalFormat.MIN_CLASSES || classCount > CanonicalFormat.MAX_CLASSES) {
      throw new IllegalArgumentException("classCount " + classCount + " is outside " + CanonicalFormat.MIN_CLASSES
          + ".." + CanonicalFormat.MAX_CLASSES);
    }
    Dims dims;
    try (IdxFile img = IdxFile.open(images); IdxFile lab = IdxFile.open(labels)) {
      dims = readHeaders(img, lab, classCount);
    }
    return new IdxSource(images, labels, dims, classCount, 0, dims.count);
  }

  /**
   * The examples {@code from} (inclusive) to {@code to} (exclusive) of this source, counted from this source's
   * first example. {@code rows(0, n / 2)} and {@code rows(n / 2, n)} split a set of n in two halves whose
   * records, concatenated, are the whole set's.
   *
   * @throws IndexOutOfBoundsException unless 0 ≤ from &lt; to ≤ header().rowCount()
   */
  public IdxSource rows(long from, long to) {
    if (from < 0 || to <= from || to > header.rowCount()) {
      throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") is not a non-empty range within [0, "
          + header.rowCount() + ")");
    }
    return new IdxSource(images, labels, dims, classCount, this.from + from, this.from + to);
  }

  @Override
  public Header header() {
    return header;
  }

  @Override
  public Summary writeCanonical(OutputStream out) throws IOException, DatasetFormatException {
    try (IdxFile img = IdxFile.open(images); IdxFile lab = IdxFile.open(labels)) {
      if (!readHeaders(img, lab, classCount).equals(dims)) {
        throw new DatasetFormatException(Problem.SHAPE, img.name + ", " + lab.name + ": the headers changed since"
            + " the files were opened: convert files that nobody is writing to");
      }
      CanonicalWriter writer = CanonicalWriter.open(out, header);
      long to = from + header.rowCount();
      byte[] pixels = new byte[header.featureCount()];
      float[] raw = new float[pixels.length];
      byte[] label = new byte[1];
      for (long i = 0; i < dims.count; i++) {
        img.readRecord(pixels, "image", i);
        lab.readRecord(label, "label record", i);
        int value = Byte.toUnsignedInt(label[0]);
        if (value >= classCount) {
          throw new DatasetFormatException(Problem.LABEL, lab.name + ": label record " + i + " (0-based) is "
              + value + ", outside [0, " + classCount + "): pass the dataset's real number of classes");
        }
        if (i >= from && i < to) {
          for (int p = 0; p < pixels.length; p++) {
            raw[p] = Byte.toUnsignedInt(pixels[p]);
          }
          writer.writeRow(raw, value);
        }
      }
      img.expectEnd(dims.count + " images");
      lab.expectEnd(dims.count + " labels");
      return writer.finish();
    }
  }

  private static Dims readHeaders(IdxFile img, IdxFile lab, int classCount)
      throws IOException, DatasetFormatException {
    // The magic is checked before the rest of the header is read, so that a file of the wrong kind (often the
    // other file of the pair, whose header is shorter) is reported as such rather than as cut short.
    checkMagic(img, ByteBuffer.wrap(img.readHeader(0, 4, 16)).getInt(), IMAGES_MAGIC,
        "unsigned-byte images with 3 dimensions");
    ByteBuffer ih = ByteBuffer.wrap(img.readHeader(4, 12, 16));
    long count = unsigned(img, ih.getInt(), "image count");
    long rows = unsigned(img, ih.getInt(), "rows per image");
    long cols = unsigned(img, ih.getInt(), "columns per image");
    checkMagic(lab, ByteBuffer.wrap(lab.readHeader(0, 4, 8)).getInt(), LABELS_MAGIC,
        "unsigned-byte labels with 1 dimension");
    ByteBuffer lh = ByteBuffer.wrap(lab.readHeader(4, 4, 8));
    long labelCount = unsigned(lab, lh.getInt(), "label count");
    if (labelCount != count) {
      throw new DatasetFormatException(Problem.SHAPE, img.name + " has " + count + " images but " + lab.name
          + " has " + labelCount + " labels: pass the labels file that belongs to these images");
    }
    if (rows < 1 || cols < 1) {
      throw new DatasetFormatException(Problem.LIMIT, img.name + ": images are " + rows + " × " + cols
          + " pixels: both dimensions must be at least 1");
    }
    String problem = Header.problem(FeatureType.UINT8, rows * cols, classCount, count);
    if (problem != null) {
      throw new DatasetFormatException(Problem.LIMIT, img.name + " (" + count + " images of " + rows + " × "
          + cols + " pixels): " + problem);
    }
    return new Dims(count, (int) rows, (int) cols);
  }

  private static void checkMagic(IdxFile file, int magic, int expected, String expectedText)
      throws DatasetFormatException {
    if (magic != expected) {
      String hint = magic == (expected == IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC)
          ? ": it looks like the other file of the pair; are images and labels swapped?"
          : ": pass an IDX file of that kind (MNIST-style, gzipped or raw)";
      throw new DatasetFormatException(Problem.HEADER, file.name + ": magic is " + String.format("0x%08X", magic)
          + ", expected " + String.format("0x%08X", expected) + " (IDX " + expectedText + ")" + hint);
    }
  }

  private static long unsigned(IdxFile file, int value, String what) throws DatasetFormatException {
    if (value < 0) {
      throw new DatasetFormatException(Problem.LIMIT, file.name + ": " + what + " is "
          + Integer.toUnsignedLong(value) + ", far above the limits: the header is damaged");
    }
    return value;
  }

  private record Dims(long count, int rows, int cols) {}

  /** One IDX file, gzipped or raw, whose failures are reported in the data owner's terms. */
  private static final class IdxFile implements Closeable {
    final String name;
    private final InputStream in;

    private IdxFile(String name, InputStream in) {
      this.name = name;
      this.in = in;
    }

    static IdxFile open(Path path) throws IOException, DatasetFormatException {
      String name = String.valueOf(path.getFileName());
      InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
      try {
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        // IDX starts with two zero bytes, gzip with 1F 8B (RFC 1952): the two cannot be confused.
        if (b0 == 0x1F && b1 == 0x8B) {
          return new IdxFile(name, new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
        }
        return new IdxFile(name, raw);
      } catch (EOFException | ZipException e) {
        raw.close();
        throw gzipFailure(name, e);
      } catch (IOException | RuntimeException e) {
        raw.close();
        throw e;
      }
    }

    /** Reads {@code length} bytes at {@code offset} of a {@code headerLength}-byte header. */
    byte[] readHeader(int offset, int length, int headerLength) throws IOException, DatasetFormatException {
      byte[] bytes = new byte[length];
      int n = read(bytes);
      if (n < length) {
        throw new DatasetFormatException(Problem.TRUNCATED, name + " ends after " + (offset + n) + " bytes, inside"
            + " its " + headerLength + "-byte IDX header: the file is empty or cut short; download it again");
      }
      return bytes;
    }

    void readRecord(byte[] into, String what, long index) throws IOException, DatasetFormatException {
      if (read(into) < into.length) {
        throw new DatasetFormatException(Problem.TRUNCATED, name + " ends inside " + what + " " + index
            + " (0-based), before the count in its header: the file is cut short; download it again");
      }
    }

    void expectEnd(String what) throws IOException, DatasetFormatException {
      int next;
      try {
        next = in.read();
      } catch (EOFException | ZipException e) {
        throw gzipFailure(name, e);
      }
      if (next != -1) {
        throw new DatasetFormatException(Problem.TRAILING_DATA, name + " goes on after the " + what
            + " its header declares: the header's count is wrong or the file is damaged");
      }
    }

    private int read(byte[] into) throws IOException, DatasetFormatException {
      try {
        return in.readNBytes(into, 0, into.length);
      } catch (EOFException | ZipException e) {
        throw gzipFailure(name, e);
      }
    }

    private static DatasetFormatException gzipFailure(String name, IOException e) {
      return e instanceof EOFException
          ? new DatasetFormatException(Problem.TRUNCATED, name + ": the gzip stream ends early (" + e.getMessage()
              + "): the file is cut short; download it again", e)
          : new DatasetFormatException(Problem.SYNTAX, name + ": the gzip data is corrupt (" + e.getMessage()
              + "): download the file again", e);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
