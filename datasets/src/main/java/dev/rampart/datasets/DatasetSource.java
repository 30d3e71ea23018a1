package dev.rampart.datasets;

import java.io.IOException;
import java.io.OutputStream;

/** Data in some source format that converts to a canonical dataset ({@link CanonicalFormat}). */
public interface DatasetSource {

  /** The header the canonical form will have; known before converting. */
  Header header();

  /**
   * Reads the source again, validating all of it, and writes its canonical form to {@code out}. Does not
   * close {@code out}. Converting the same source twice gives the same bytes.
   *
   * @return the summary of what was written; its SHA-256 is the dataset id
   * @throws DatasetFormatException if the source is invalid, or changed since it was opened; {@code out} then
   *     holds an incomplete dataset and must be discarded
   */
  Summary writeCanonical(OutputStream out) throws IOException, DatasetFormatException;
}
