package dev.rampart.coordinator.storage;

import dev.rampart.common.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a boot tidies in the storage before anything is served, so that a crash at any point leaves nothing behind. */
final class BootCleanup {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BootCleanup.class.getName());
  private final DatasetStore store;
  private final Path datasets;
  private final Path uploads;

  BootCleanup(DatasetStore store) {
    this.store = store;
    this.datasets = store.datasetsDir();
    this.uploads = store.uploadsDir();
  }

  /**
   * At boot, before anything is served: deletes the temporary files of writes a crash interrupted (a write is
   * complete only once renamed into place, so a {@code *.tmp} is never a record), moves a stored dataset the
   * journal does not know back to the uploads (a crash between the rename and the journal record: the owner's
   * finish, retried, stores it again), deletes the uploads whose dataset is already stored (a crash between the
   * journal record and the upload's deletion), and the uploads untouched for {@link DatasetStore#UPLOAD_EXPIRY}.
   *
   * @param journaled whether a dataset id is stored (journaled)
   * @return what was done: temporary files deleted, uploads deleted, datasets moved back to the uploads
   */
  int[] run(java.util.function.Predicate<String> journaled, java.time.Instant now) throws IOException {
    int tmps = 0;
    int expired = 0;
    int movedBack = 0;
    List<Path> dirs = new ArrayList<>(List.of(datasets, uploads));
    for (Path parent : List.of(datasets, uploads)) {
      try (Stream<Path> sub = Files.list(parent)) {
        sub.filter(Files::isDirectory).forEach(dirs::add);
      }
    }
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
          Files.deleteIfExists(f);
          tmps++;
        }
      }
    }
    try (Stream<Path> sets = Files.list(datasets)) {
      for (Path f : sets.filter(p -> p.getFileName().toString().matches("[0-9a-f]{64}\\.sealed")).toList()) {
        String id = f.getFileName().toString().substring(0, 64);
        if (!journaled.test(id)) {
          // a dataset file of an earlier version, written before its journal record, which a crash then lost:
          // never acknowledged to its owner, whose finish (retried) stores it again
          LOG.warning("deleting " + f + ": a dataset file the journal does not know (a crash before its record)");
          Files.delete(f);
        }
      }
    }
    try (Stream<Path> sets = Files.list(datasets)) {
      for (Path dir : sets.filter(Files::isDirectory).toList()) {
        String id = dir.getFileName().toString();
        if (!id.matches("[0-9a-f]{64}") || journaled.test(id)) {
          continue;
        }
        String uploadId;
        try {
          uploadId = store.stored().read(id).uploadId();
        } catch (IOException e) {
          LOG.warning("deleting " + dir + ": a dataset directory the journal does not know, without a readable"
              + " record (" + e.getMessage() + ")");
          DatasetStore.deleteDirectory(dir);
          continue;
        }
        DatasetStore.deleteDirectory(uploads.resolve(uploadId)); // a newer upload of it cannot exist: begin refuses one
        Files.delete(dir.resolve(StoredDatasets.RECORD));
        Files.move(dir, uploads.resolve(uploadId), StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncDirectory(datasets);
        AtomicFiles.syncDirectory(uploads);
        movedBack++;
      }
    }
    try (Stream<Path> ups = Files.list(uploads)) {
      for (Path dir : ups.filter(Files::isDirectory).toList()) {
        String id = dir.getFileName().toString();
        boolean drop;
        try {
          drop = journaled.test(store.read(id).request().getManifest().getDatasetId());
        } catch (IOException | RuntimeException e) {
          drop = true; // not a readable upload record (not ours, or damaged): nothing can resume it
        }
        java.time.Instant touched = java.time.Instant.EPOCH;
        try (Stream<Path> files = Files.list(dir)) {
          for (Path f : files.toList()) {
            java.time.Instant t = Files.getLastModifiedTime(f).toInstant();
            touched = t.isAfter(touched) ? t : touched;
          }
        }
        if (drop || touched.plus(DatasetStore.UPLOAD_EXPIRY).isBefore(now)) {
          store.deleteUpload(id);
          expired++;
        }
      }
    }
    return new int[] {tmps, expired, movedBack};
  }
}
