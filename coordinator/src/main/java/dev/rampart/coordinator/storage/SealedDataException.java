package dev.rampart.coordinator.storage;

import java.io.IOException;

/** A sealed file failed authentication: modified, truncated, moved, or sealed under another key. */
public final class SealedDataException extends IOException {
  private static final long serialVersionUID = 1L;

  public SealedDataException(String message) {
    super(message);
  }
}
