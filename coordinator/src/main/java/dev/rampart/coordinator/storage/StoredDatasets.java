package dev.rampart.coordinator.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Stored datasets: each one a directory {@code datasets/<id>/} of the sealed chunks its upload wrote, plus a sealed
 * record of them ({@value #RECORD}: upload id, generation, chunk count, size; associated data names the dataset),
 * read back chunk by chunk, each authenticated before its bytes are returned. Datasets stored by versions before
 * chunked storage, one streaming-AEAD file {@code datasets/<id>.sealed}, are still read.
 */
final class StoredDatasets {
  static final String RECORD = "dataset.sealed";

  private final Path datasets;
  private final SealingKeys keys;

  StoredDatasets(Path datasets, SealingKeys keys) {
    this.datasets = datasets;
    this.keys = keys;
  }

  /** Whether the dataset is stored (in either form). */
  boolean exists(String datasetId) {
    return Files.isDirectory(dir(datasetId)) || Files.exists(legacyFile(datasetId));
  }

  /** Where a dataset's sealed chunks are stored. */
  Path dir(String datasetId) {
    if (!datasetId.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("a dataset id is 64 lower-case hex digits");
    }
    return datasets.resolve(datasetId);
  }

  /** A dataset stored by a version before chunked storage: one streaming-AEAD file. */
  private Path legacyFile(String datasetId) {
    return datasets.resolve(dir(datasetId).getFileName() + ".sealed");
  }

  static byte[] record(String uploadId, String generation, long chunks, long bytes) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(b)) {
      out.writeUTF(uploadId);
      out.writeUTF(generation);
      out.writeLong(chunks);
      out.writeLong(bytes);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  /** A stored dataset's record of its chunks. */
  record Stored(String uploadId, String generation, long chunks, long bytes) {}

  Stored read(String datasetId) throws IOException {
    Path file = dir(datasetId).resolve(RECORD);
    byte[] plain = SealedFiles.readSmall(keys.aead(), file, recordAd(datasetId));
    try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(plain))) {
      Stored s = new Stored(in.readUTF(), in.readUTF(), in.readLong(), in.readLong());
      if (s.chunks() != DatasetStore.chunkCount(s.bytes()) || !s.uploadId().matches("[0-9a-f]{32}")) {
        throw new SealedDataException(file + " describes an impossible dataset");
      }
      return s;
    } catch (java.io.EOFException e) {
      throw new SealedDataException(file + " is incomplete");
    }
  }

  static String recordAd(String datasetId) {
    return "rampart-dataset/v2|" + datasetId;
  }

  /**
   * Opens a stored dataset: every chunk (or, for a dataset stored by an earlier version, every segment) is
   * authenticated before its bytes are returned, and a missing, swapped or truncated chunk fails naming its file.
   */
  public InputStream open(String datasetId) throws IOException {
    Path legacy = legacyFile(datasetId);
    if (Files.exists(legacy)) {
      return SealedFiles.openStream(keys.streaming(), legacy, "rampart-dataset/v1|" + datasetId);
    }
    Path dir = dir(datasetId);
    if (!Files.exists(dir.resolve(RECORD))) {
      throw new SealedDataException(dir.resolve(RECORD) + " is missing: the dataset's files were removed"
          + " from the coordinator's disk; restore the state directory from a backup");
    }
    Stored stored = read(datasetId);
    List<InputStream> parts = new ArrayList<>();
    for (long i = 0; i < stored.chunks(); i++) {
      long seq = i;
      long size = seq == stored.chunks() - 1 ? stored.bytes() - seq * (long) DatasetStore.CHUNK_SIZE : DatasetStore.CHUNK_SIZE;
      parts.add(new LazyChunk(() -> {
        Path file = DatasetStore.chunkFile(dir, seq);
        byte[] data;
        try {
          data = SealedFiles.readSmall(keys.aead(), file, DatasetStore.chunkAd(stored.uploadId(), stored.generation(), seq));
        } catch (SealedDataException | java.nio.file.NoSuchFileException e) {
          throw new SealedDataException(file + " is missing or fails authentication: it was modified, truncated or"
              + " replaced on the coordinator's disk (the dataset is damaged); restore the state directory from a"
              + " backup");
        }
        if (data.length != size) {
          throw new SealedDataException(file + " holds " + data.length + " bytes, not " + size + ": the dataset is"
              + " damaged; restore the state directory from a backup");
        }
        return data;
      }));
    }
    return new SequenceInputStream(Collections.enumeration(parts));
  }

  /** A chunk decrypted only when the sequence reaches it, so memory holds one chunk at a time. */
  private static final class LazyChunk extends InputStream {
    interface Source {
      byte[] read() throws IOException;
    }

    private final Source source;
    private byte[] data;
    private int pos;

    LazyChunk(Source source) {
      this.source = source;
    }

    private void load() throws IOException {
      if (data == null) {
        data = source.read();
      }
    }

    @Override
    public int read() throws IOException {
      load();
      return pos < data.length ? data[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      load();
      if (pos >= data.length) {
        return -1;
      }
      int n = Math.min(len, data.length - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
