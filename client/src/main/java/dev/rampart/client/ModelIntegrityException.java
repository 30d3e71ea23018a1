package dev.rampart.client;

import java.io.IOException;

/**
 * The weights the coordinator sent do not add up: a piece out of place, a size or digest that changed during
 * the download, or a file whose SHA-256 is not the one declared. Nothing was written to the destination; fetch
 * again (a persistent failure means something between you and the coordinator alters data).
 */
public final class ModelIntegrityException extends IOException {
  private static final long serialVersionUID = 1L;

  public ModelIntegrityException(String message) {
    super(message);
  }
}
