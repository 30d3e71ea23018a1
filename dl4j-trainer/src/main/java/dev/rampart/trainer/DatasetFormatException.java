package dev.rampart.trainer;

import java.io.IOException;

/** A data file that cannot be used: wrong format, inconsistent sizes, labels out of range. */
public final class DatasetFormatException extends IOException {
  public DatasetFormatException(String message) {
    super(message);
  }

  /** The same problem as reported by another layer (e.g. the datasets module), with that report as cause. */
  public DatasetFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
