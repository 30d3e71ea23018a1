package dev.rampart.datasets;

import static dev.rampart.datasets.CanonicalFormat.HEADER_BYTES;
import static dev.rampart.datasets.CanonicalFormat.MAX_CLASSES;
import static dev.rampart.datasets.CanonicalFormat.MAX_FEATURES;
import static dev.rampart.datasets.CanonicalFormat.MAX_ROWS;
import static dev.rampart.datasets.CanonicalFormat.MAX_TOTAL_BYTES;
import static dev.rampart.datasets.CanonicalFormat.MIN_CLASSES;

import java.util.Objects;

/**
 * What a canonical dataset declares before its records: feature type, features per record, number of classes,
 * number of records. Every instance is within the {@link CanonicalFormat} limits, so {@link #rowBytes()} and
 * {@link #totalBytes()} can be trusted to size buffers. Its byte form is {@link CanonicalFormat#encodeHeader}.
 */
public record Header(FeatureType featureType, int featureCount, int classCount, long rowCount) {

  /**
   * @throws IllegalArgumentException if a value is outside the limits (the message says which and what to do);
   *     readers of untrusted bytes report the same check as a {@link DatasetFormatException}
   */
  public Header {
    Objects.requireNonNull(featureType, "featureType");
    String problem = problem(featureType, featureCount, classCount, rowCount);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Bytes of one record: the features, then the int32 label. At most 4 000 004. */
  public int rowBytes() {
    return featureCount * featureType.bytesPerFeature() + 4;
  }

  /** Bytes of the whole canonical dataset, header included. At most {@link CanonicalFormat#MAX_TOTAL_BYTES}. */
  public long totalBytes() {
    return HEADER_BYTES + rowCount * rowBytes();
  }

  /** Why these values are not a valid header, or {@code null} if they are. */
  static String problem(FeatureType type, long featureCount, long classCount, long rowCount) {
    if (featureCount < 1 || featureCount > MAX_FEATURES) {
      return "featureCount " + featureCount + " is outside 1.." + MAX_FEATURES
          + ": a record needs at least one feature, and wider records must be reduced (e.g. downsampled)";
    }
    if (classCount < MIN_CLASSES || classCount > MAX_CLASSES) {
      return "classCount " + classCount + " is outside " + MIN_CLASSES + ".." + MAX_CLASSES
          + ": a classification dataset needs at least two classes and at most " + MAX_CLASSES;
    }
    if (rowCount < 1 || rowCount > MAX_ROWS) {
      return "rowCount " + rowCount + " is outside 1.." + MAX_ROWS
          + ": a dataset needs at least one record; split larger ones into several datasets";
    }
    // No overflow: featureCount ≤ 10^6, 4 bytes each, rowCount ≤ 10^8, so the product is below 2^49.
    long total = HEADER_BYTES + rowCount * (featureCount * type.bytesPerFeature() + 4);
    if (total > MAX_TOTAL_BYTES) {
      return "the dataset would take " + total + " bytes (" + rowCount + " records of " + featureCount + " "
          + type + " features), above the limit of " + MAX_TOTAL_BYTES
          + " bytes (8 GiB): split it into several datasets";
    }
    return null;
  }
}
