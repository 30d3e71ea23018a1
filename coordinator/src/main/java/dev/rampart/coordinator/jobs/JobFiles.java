package dev.rampart.coordinator.jobs;

import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.coordinator.storage.SealedFiles;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.protocol.v1.*;
import dev.rampart.trainer.LabeledExamples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;
import static dev.rampart.coordinator.jobs.JobSupport.*;

/**
 * A job's files in the state directory ({@code jobs/<id>/checkpoint.sealed}, {@code model.sealed}, sealed with
 * the coordinator's streaming AEAD, bound to the job by their associated data), and the datasets a job reads.
 */
final class JobFiles {
  private static final Logger LOG = Logger.getLogger(JobFiles.class.getName());
  private final DatasetStore store;
  private final SealingKeys keys;
  private final Path jobsDir;

  JobFiles(DatasetStore store, SealingKeys keys, Path stateDir) throws IOException {
    this.store = store;
    this.keys = keys;
    this.jobsDir = stateDir.resolve("jobs");
    Files.createDirectories(jobsDir);
    // temporary files of checkpoint and model writes a crash interrupted (a write is a rename of a complete file)
    try (var files = Files.walk(jobsDir, 2)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  /** Seals {@code bytes} as the job's checkpoint, atomically. */
  void writeCheckpoint(String jobId, byte[] bytes) throws IOException {
    SealedFiles.writeStream(keys.streaming(), checkpointFile(jobId), checkpointAd(jobId), out -> out.write(bytes));
  }

  /** Seals {@code bytes} as the job's model, atomically. */
  void writeModel(String jobId, byte[] bytes) throws IOException {
    SealedFiles.writeStream(keys.streaming(), modelFile(jobId), modelAd(jobId), out -> out.write(bytes));
    modelCache.remove(jobId);
  }

  /** Reads every dataset completely (each segment authenticated) before training touches any of it. */
  LabeledExamples load(List<String> ids) throws IOException {
    List<InputStream> streams = new ArrayList<>();
    try {
      for (String id : ids) {
        streams.add(store.open(id));
      }
      return LabeledExamples.readCanonical(streams);
    } finally {
      for (InputStream in : streams) {
        try {
          in.close();
        } catch (IOException e) {
          LOG.fine("closing a dataset stream: " + e.getMessage());
        }
      }
    }
  }

  private Path jobDir(String jobId) throws IOException {
    if (!jobId.matches("[0-9a-f-]{36}")) {
      throw new IllegalArgumentException("a job id is a UUID");
    }
    Path dir = jobsDir.resolve(jobId);
    Files.createDirectories(dir);
    return dir;
  }

  Path checkpointFile(String jobId) throws IOException {
    return jobDir(jobId).resolve("checkpoint.sealed");
  }

  Path modelFile(String jobId) throws IOException {
    return jobDir(jobId).resolve("model.sealed");
  }

  static String checkpointAd(String jobId) {
    return "rampart-checkpoint/v1|" + jobId;
  }

  static String modelAd(String jobId) {
    return "rampart-model/v1|" + jobId;
  }

  byte[] readSealed(Path file, String ad) throws IOException {
    try (InputStream in = SealedFiles.openStream(keys.streaming(), file, ad)) {
      return in.readAllBytes();
    }
  }

  /** The last model read, decrypted: a download asks for it piece by piece. */
  private final Map<String, byte[]> modelCache = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
          return size() > 2;
        }
      });

  byte[] sealedModel(String jobId) throws IOException {
    byte[] cached = modelCache.get(jobId);
    if (cached == null) {
      cached = readSealed(modelFile(jobId), modelAd(jobId));
      modelCache.put(jobId, cached);
    }
    return cached;
  }

}
