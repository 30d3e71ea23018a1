package dev.rampart.trainer;

import java.io.IOException;

/** A data file that cannot be used: wrong format, inconsistent sizes, labels out of range. */
public final class DatasetFormatException extends IOException {
  public DatasetFormatException(String message) {
    super(message);
  }
}
