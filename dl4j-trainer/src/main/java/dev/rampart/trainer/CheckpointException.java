package dev.rampart.trainer;

import java.io.IOException;

/** A checkpoint that cannot be used: wrong format or version, truncated, tampered, or for another model. */
public final class CheckpointException extends IOException {
  public CheckpointException(String message) {
    super(message);
  }
}
