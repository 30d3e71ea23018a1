package dev.rampart.datasets;

import dev.rampart.datasets.DatasetFormatException.Problem;
import dev.rampart.datasets.internal.Digests;
import java.security.MessageDigest;

/**
 * Validates canonical data ({@link CanonicalFormat}) pushed to it in pieces of any size, as they arrive (the
 * coordinator feeds it an upload's chunks in order, so finishing an upload needs no second pass over the bytes).
 * It checks exactly what {@link CanonicalReader} checks, with the same problems and messages, and hashes every
 * byte: {@link #finish} returns the same {@link Summary} as {@link CanonicalReader#validate}.
 *
 * <p>Memory is one record at most (a record split across two pieces is assembled; whole records inside a piece
 * are checked in place), and nothing is allocated from a declared size until the header has passed the limits.
 * After a {@link DatasetFormatException} the validator is spent. Not thread-safe.
 */
public final class CanonicalValidator {
  private final MessageDigest digest = Digests.sha256();
  private final byte[] headerBytes = new byte[CanonicalFormat.HEADER_BYTES];
  private int headerFilled;
  private Header header;
  private long[] classCounts;
  private byte[] partial;
  private int partialFilled;
  private long records;
  private long bytes;
  private boolean failed;

  /** The header, once its bytes have arrived and passed; {@code null} before. */
  public Header header() {
    return header;
  }

  /** Bytes accepted so far. */
  public long bytes() {
    return bytes;
  }

  /**
   * Checks the next {@code length} bytes of the data.
   *
   * @throws DatasetFormatException at the first defect, as {@link CanonicalReader} reports it ({@link
   *     Problem#TRAILING_DATA} as soon as a byte follows the last declared record)
   */
  public void update(byte[] b, int offset, int length) throws DatasetFormatException {
    java.util.Objects.checkFromIndexSize(offset, length, b.length);
    requireUsable();
    boolean ok = false;
    try {
      int at = offset;
      int end = offset + length;
      if (header == null) {
        int n = Math.min(end - at, headerBytes.length - headerFilled);
        System.arraycopy(b, at, headerBytes, headerFilled, n);
        headerFilled += n;
        at += n;
        if (headerFilled < headerBytes.length) {
          accept(b, offset, at - offset);
          ok = true;
          return;
        }
        Header h = CanonicalFormat.decodeHeader(headerBytes);
        header = h;
        classCounts = new long[h.classCount()];
        accept(b, offset, at - offset);
      }
      int rowBytes = header.rowBytes();
      if (partialFilled > 0 && at < end) {
        int n = Math.min(end - at, rowBytes - partialFilled);
        System.arraycopy(b, at, partial, partialFilled, n);
        partialFilled += n;
        if (partialFilled == rowBytes) {
          checkRecord(partial, 0);
          partialFilled = 0;
        }
        accept(b, at, n);
        at += n;
      }
      while (at < end) {
        if (records == header.rowCount()) {
          throw new DatasetFormatException(Problem.TRAILING_DATA, "canonical data goes on after the last of the "
              + header.rowCount() + " records the header declares (expected exactly " + header.totalBytes()
              + " bytes): the header's rowCount is wrong or other data was appended; export the dataset again");
        }
        if (end - at >= rowBytes) {
          checkRecord(b, at);
          accept(b, at, rowBytes);
          at += rowBytes;
        } else {
          if (partial == null) {
            partial = new byte[rowBytes]; // ≤ 4 000 004 bytes: the header passed the limits
          }
          int n = end - at;
          System.arraycopy(b, at, partial, 0, n);
          partialFilled = n;
          accept(b, at, n);
          at = end;
        }
      }
      ok = true;
    } finally {
      failed = !ok;
    }
  }

  /**
   * The summary of the complete data.
   *
   * @throws DatasetFormatException {@link Problem#TRUNCATED} if the data ended early
   */
  public Summary finish() throws DatasetFormatException {
    requireUsable();
    if (header == null) {
      failed = true;
      throw new DatasetFormatException(Problem.TRUNCATED, "canonical data ends after " + headerFilled
          + " bytes, inside the " + CanonicalFormat.HEADER_BYTES + "-byte header: the file or upload is"
          + " incomplete; send it again");
    }
    if (records < header.rowCount()) {
      failed = true;
      throw new DatasetFormatException(Problem.TRUNCATED, "canonical data ends inside record " + records
          + " (0-based) of " + header.rowCount() + ": expected " + header.totalBytes() + " bytes, got " + bytes
          + ": the file or upload is incomplete; send it again");
    }
    failed = true; // spent: the digest is consumed
    return new Summary(header, digest.digest(), classCounts);
  }

  private void requireUsable() {
    if (failed) {
      throw new IllegalStateException("the validator already failed or finished: start a new one");
    }
  }

  private void accept(byte[] b, int offset, int length) {
    digest.update(b, offset, length);
    bytes += length;
  }

  /** Checks the record at {@code at} and counts its label. */
  private void checkRecord(byte[] r, int at) throws DatasetFormatException {
    classCounts[checkRecord(header, r, at, records)]++;
    records++;
  }

  /**
   * Checks one record of {@code header}'s shape at {@code at} (every FLOAT32 finite, the label in range) and returns
   * its label: the one record check, shared with {@link CanonicalReader}.
   */
  static int checkRecord(Header header, byte[] r, int at, long index) throws DatasetFormatException {
    if (header.featureType() == FeatureType.FLOAT32) {
      for (int i = 0; i < header.featureCount(); i++) {
        int bits = intAt(r, at + 4 * i);
        if (!Float.isFinite(Float.intBitsToFloat(bits))) {
          throw new DatasetFormatException(Problem.VALUE, "canonical record " + index + " (0-based), feature "
              + i + " (0-based): " + Float.intBitsToFloat(bits) + " (bits 0x" + Integer.toHexString(bits)
              + ") is not finite: fix NaN and infinities in the source data and convert it again");
        }
      }
    }
    int label = intAt(r, at + header.rowBytes() - 4);
    if (label < 0 || label >= header.classCount()) {
      throw new DatasetFormatException(Problem.LABEL, "canonical record " + index + " (0-based): label "
          + label + " is outside [0, " + header.classCount() + "): fix the label or the header's classCount"
          + " and convert the data again");
    }
    return label;
  }

  private static int intAt(byte[] r, int at) {
    return (r[at] & 0xFF) << 24 | (r[at + 1] & 0xFF) << 16 | (r[at + 2] & 0xFF) << 8 | (r[at + 3] & 0xFF);
  }
}
