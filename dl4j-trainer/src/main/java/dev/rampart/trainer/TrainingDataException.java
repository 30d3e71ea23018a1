package dev.rampart.trainer;

import java.io.IOException;

/**
 * Data the trainer cannot use: a file of the wrong format, inconsistent sizes, labels out of range. An {@link
 * IOException} (it arises while reading); when the datasets module found the defect, its {@link
 * dev.rampart.datasets.DatasetFormatException} is the cause. (Named apart from that one since issue 13: two
 * exceptions of one name in two packages were a trap.)
 */
public final class TrainingDataException extends IOException {
  public TrainingDataException(String message) {
    super(message);
  }

  /** The same problem as reported by another layer (e.g. the datasets module), with that report as cause. */
  public TrainingDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
