package dev.rampart.datasets;

import dev.rampart.datasets.DatasetFormatException.Problem;
import dev.rampart.datasets.internal.Digests;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * Writes a canonical dataset ({@link CanonicalFormat}) to a stream: the header at {@link #open}, then one
 * {@link #writeRow} per record, then {@link #finish}. Every row is checked before any of its bytes are
 * written, so a rejected row leaves the output as it was and the writer usable.
 *
 * <p>The writer never closes the stream (whoever opened it closes it), and {@link #finish} is what makes the
 * output complete: it refuses unless exactly {@link Header#rowCount()} rows were written, so a short dataset is
 * never mistaken for a finished one. Not thread-safe.
 */
public final class CanonicalWriter {
  private final OutputStream out;
  private final Header header;
  private final MessageDigest sha256 = Digests.sha256();
  private final long[] classCounts;
  private final byte[] record;
  private long rowsWritten;
  private Summary summary;

  private CanonicalWriter(OutputStream out, Header header) {
    // Rows are small (often under 1 KiB): buffer them rather than make one write to the caller's stream each.
    this.out = new BufferedOutputStream(out, 1 << 16);
    this.header = header;
    this.classCounts = new long[header.classCount()];
    this.record = new byte[header.rowBytes()];
  }

  /** Writes the header of {@code header} to {@code out} and returns a writer for its rows. */
  public static CanonicalWriter open(OutputStream out, Header header) throws IOException {
    CanonicalWriter writer = new CanonicalWriter(Objects.requireNonNull(out, "out"), header);
    byte[] bytes = CanonicalFormat.encodeHeader(header);
    writer.sha256.update(bytes);
    writer.out.write(bytes);
    return writer;
  }

  public Header header() {
    return header;
  }

  public long rowsWritten() {
    return rowsWritten;
  }

  /**
   * Writes the next record.
   *
   * @param rawFeatures exactly featureCount stored values: for UINT8 integers 0..255, for FLOAT32 finite floats
   * @param label in [0, classCount)
   * @throws DatasetFormatException {@link Problem#SHAPE} if the feature count is wrong or all declared rows are
   *     already written, {@link Problem#VALUE} for a non-finite float or a non-UINT8 value, {@link Problem#LABEL}
   *     for a label out of range; nothing is written then
   * @throws IllegalStateException after {@link #finish}
   */
  public void writeRow(float[] rawFeatures, int label) throws IOException, DatasetFormatException {
    if (summary != null) {
      throw new IllegalStateException("the writer is finished: open a new one for another dataset");
    }
    long index = rowsWritten;
    if (index >= header.rowCount()) {
      throw new DatasetFormatException(Problem.SHAPE, "record " + index + " (0-based) is one more than the "
          + header.rowCount() + " records the header declares: declare the right rowCount in the header");
    }
    if (rawFeatures.length != header.featureCount()) {
      throw new DatasetFormatException(Problem.SHAPE, "record " + index + " (0-based) has "
          + rawFeatures.length + " features, the header declares " + header.featureCount()
          + ": every record needs exactly featureCount features");
    }
    if (label < 0 || label >= header.classCount()) {
      throw new DatasetFormatException(Problem.LABEL, "record " + index + " (0-based): label " + label
          + " is outside [0, " + header.classCount() + "): use labels 0.." + (header.classCount() - 1)
          + " or declare more classes");
    }
    int at = 0;
    if (header.featureType() == FeatureType.UINT8) {
      for (int i = 0; i < rawFeatures.length; i++) {
        float v = rawFeatures[i];
        // The comparisons are false for NaN, so NaN is refused too.
        if (!(v >= 0 && v <= 255 && v == (int) v)) {
          throw new DatasetFormatException(Problem.VALUE, "record " + index + " (0-based), feature " + i
              + " (0-based): " + v + " is not a UINT8 value (an integer 0..255): pass raw byte values, not"
              + " scaled ones, or use FLOAT32");
        }
        record[at++] = (byte) (int) v;
      }
    } else {
      for (int i = 0; i < rawFeatures.length; i++) {
        float v = rawFeatures[i];
        if (!Float.isFinite(v)) {
          throw new DatasetFormatException(Problem.VALUE, "record " + index + " (0-based), feature " + i
              + " (0-based): " + v + " is not finite: replace NaN and infinities in the source data");
        }
        at = putInt(Float.floatToRawIntBits(v), at);
      }
    }
    putInt(label, at);
    sha256.update(record);
    out.write(record);
    classCounts[label]++;
    rowsWritten++;
  }

  /**
   * Checks that every declared row was written, flushes, and returns the dataset's summary (its SHA-256 is
   * the dataset id). Calling it again returns the same summary. Does not close the stream.
   *
   * @throws DatasetFormatException {@link Problem#TRUNCATED} if fewer rows than declared were written; the
   *     writer stays open for the missing rows
   */
  public Summary finish() throws IOException, DatasetFormatException {
    if (summary == null) {
      if (rowsWritten != header.rowCount()) {
        throw new DatasetFormatException(Problem.TRUNCATED, "only " + rowsWritten + " of the "
            + header.rowCount() + " records the header declares were written: write the rest, or declare"
            + " rowCount " + rowsWritten + " in the header");
      }
      out.flush();
      summary = new Summary(header, sha256.digest(), classCounts);
    }
    return summary;
  }

  private int putInt(int v, int at) {
    record[at] = (byte) (v >>> 24);
    record[at + 1] = (byte) (v >>> 16);
    record[at + 2] = (byte) (v >>> 8);
    record[at + 3] = (byte) v;
    return at + 4;
  }
}
