package dev.rampart.coordinator.storage;

import dev.rampart.datasets.CanonicalValidator;
import dev.rampart.datasets.DatasetFormatException;
import dev.rampart.datasets.Summary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An upload's progress, in memory: which chunks are on disk, and how far the validator has read. Rebuilt from the
 * sealed chunks (each read once) when a coordinator restarts in the middle of an upload. Guarded by the upload's
 * lock in {@link DatasetStore}.
 */
final class UploadProgress {
  final String generation;
  final CanonicalValidator validator = new CanonicalValidator();
  /** Chunks below this are on disk and fed to the validator. */
  long next;
  /** Chunks at or above {@link #next} being written or written, each with its plaintext (null: read it back). */
  final Map<Long, byte[]> ahead = new HashMap<>();
  /** The first defect the validator found; the upload can no longer finish. */
  DatasetFormatException defect;
  /** What the validator found once every chunk was fed. */
  Summary summary;

  UploadProgress(String generation) {
    this.generation = generation;
  }

  /** Feeds the next chunk, in order, to the validator; its first defect is kept for the finish to report. */
  void feed(byte[] data) {
    if (defect == null) {
      try {
        validator.update(data, 0, data.length);
      } catch (DatasetFormatException e) {
        defect = e;
      }
    }
  }

  /**
   * The progress of an upload whose chunks are in {@code dir}: its contiguous chunks read and fed in order. The first
   * chunk that fails authentication (damaged, or sealed for another upload or generation) and every chunk after the
   * first gap are deleted: a chunk on disk is never rewritten, and these were never validated; the client resends.
   */
  static UploadProgress rebuild(Path dir, DatasetStore.Upload upload, SealingKeys keys) throws IOException {
    UploadProgress p = new UploadProgress(upload.generation());
    long seq = 0;
    for (; seq < upload.chunkCount() && Files.exists(DatasetStore.chunkFile(dir, seq)); seq++) {
      byte[] data;
      try {
        data = SealedFiles.readSmall(keys.aead(), DatasetStore.chunkFile(dir, seq), DatasetStore.chunkAd(upload, seq));
      } catch (SealedDataException e) {
        break;
      }
      p.feed(data);
    }
    p.next = seq;
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(f -> f.getFileName().toString().matches("\\d{8}\\.chunk")).toList()) {
          String name = f.getFileName().toString();
          if (Long.parseLong(name.substring(0, 8)) >= seq) {
            Files.delete(f);
          }
        }
      }
    }
    return p;
  }
}
