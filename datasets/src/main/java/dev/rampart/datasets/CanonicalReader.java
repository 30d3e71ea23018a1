package dev.rampart.datasets;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Reads and validates a canonical dataset ({@link CanonicalFormat}) from a stream of unknown origin, one
 * record at a time.
 *
 * <p>Everything is checked: magic, type, reserved bytes, limits, every label in [0, classCount), every FLOAT32
 * finite, and the exact length: data that ends early or goes on after the last declared record is refused.
 * Memory is bounded by the limits, and nothing is allocated from a declared size until the header has passed
 * them (so a header declaring 2^63 rows costs nothing but its 28 bytes). Note that a record is only known to be
 * good when it is returned: a consumer that must not act on part of a bad dataset uses {@link #validate} first.
 *
 * <p>Use: {@code open}, then {@code while (reader.hasNext()) reader.next()}. The trailing-data check runs as
 * part of reading the last record. After a {@link DatasetFormatException} the reader is spent. The reader never
 * closes the stream. Not thread-safe.
 */
public final class CanonicalReader {
  private final InputStream in;
  private final Header header;
  private final byte[] record;
  private long nextIndex;
  private boolean failed;

  private CanonicalReader(InputStream in, Header header) {
    this.in = in;
    this.header = header;
    this.record = new byte[header.rowBytes()]; // ≤ 4 000 004 bytes: the header passed the limits
  }

  /**
   * Reads and checks the header.
   *
   * @throws DatasetFormatException {@link Problem#TRUNCATED} if the stream ends inside the header, otherwise as
   *     {@link CanonicalFormat#decodeHeader}
   */
  public static CanonicalReader open(InputStream in) throws IOException, DatasetFormatException {
    InputStream buffered = new BufferedInputStream(Objects.requireNonNull(in, "in"), 1 << 16);
    byte[] bytes = buffered.readNBytes(CanonicalFormat.HEADER_BYTES);
    if (bytes.length < CanonicalFormat.HEADER_BYTES) {
      throw new DatasetFormatException(Problem.TRUNCATED, "canonical data ends after " + bytes.length
          + " bytes, inside the " + CanonicalFormat.HEADER_BYTES + "-byte header: the file or upload is"
          + " incomplete; send it again");
    }
    return new CanonicalReader(buffered, CanonicalFormat.decodeHeader(bytes));
  }

  /**
   * Reads the whole stream, checking everything, and returns the header, the SHA-256 of all the bytes (the
   * dataset id) and the count of records per label. Does not close the stream.
   *
   * @throws DatasetFormatException at the first defect, as {@link #open} and {@link #next} describe
   */
  public static Summary validate(InputStream in) throws IOException, DatasetFormatException {
    Objects.requireNonNull(in, "in");
    CanonicalValidator validator = new CanonicalValidator();
    byte[] buffer = new byte[1 << 16];
    for (int n; (n = in.read(buffer)) > 0; ) {
      validator.update(buffer, 0, n);
    }
    return validator.finish();
  }

  public Header header() {
    return header;
  }

  /** Whether a record remains to be read (no I/O). */
  public boolean hasNext() {
    return nextIndex < header.rowCount();
  }

  /**
   * Reads and checks the next record; reading the last one also checks that the stream ends there.
   *
   * @throws DatasetFormatException {@link Problem#TRUNCATED} if the stream ends inside the record,
   *     {@link Problem#VALUE} for a non-finite FLOAT32, {@link Problem#LABEL} for a label out of range,
   *     {@link Problem#TRAILING_DATA} if bytes follow the last record
   * @throws NoSuchElementException if every record has been read
   * @throws IllegalStateException if an earlier call failed
   */
  public Row next() throws IOException, DatasetFormatException {
    long index = nextIndex;
    int label = readRecord();
    float[] raw = new float[header.featureCount()];
    if (header.featureType() == FeatureType.UINT8) {
      for (int i = 0; i < raw.length; i++) {
        raw[i] = Byte.toUnsignedInt(record[i]);
      }
    } else {
      for (int i = 0; i < raw.length; i++) {
        raw[i] = Float.intBitsToFloat(intAt(4 * i));
      }
    }
    return new Row(index, header.featureType(), raw, label);
  }

  /** Reads the next record into {@link #record}, checks it, and returns its label. */
  private int readRecord() throws IOException, DatasetFormatException {
    if (failed) {
      throw new IllegalStateException("the reader already failed at record " + nextIndex
          + " (0-based): open the data again to read it");
    }
    if (!hasNext()) {
      throw new NoSuchElementException("all " + header.rowCount() + " records have been read");
    }
    boolean ok = false;
    try {
      long index = nextIndex;
      int n = in.readNBytes(record, 0, record.length);
      if (n < record.length) {
        throw new DatasetFormatException(Problem.TRUNCATED, "canonical data ends inside record " + index
            + " (0-based) of " + header.rowCount() + ": expected " + header.totalBytes() + " bytes, got "
            + (CanonicalFormat.HEADER_BYTES + index * record.length + n)
            + ": the file or upload is incomplete; send it again");
      }
      int label = CanonicalValidator.checkRecord(header, record, 0, index);
      nextIndex++;
      if (!hasNext() && in.read() != -1) {
        throw new DatasetFormatException(Problem.TRAILING_DATA, "canonical data goes on after the last of the "
            + header.rowCount() + " records the header declares (expected exactly " + header.totalBytes()
            + " bytes): the header's rowCount is wrong or other data was appended; export the dataset again");
      }
      ok = true;
      return label;
    } finally {
      failed = !ok;
    }
  }

  private int intAt(int at) {
    return (record[at] & 0xFF) << 24 | (record[at + 1] & 0xFF) << 16 | (record[at + 2] & 0xFF) << 8
        | (record[at + 3] & 0xFF);
  }
}
