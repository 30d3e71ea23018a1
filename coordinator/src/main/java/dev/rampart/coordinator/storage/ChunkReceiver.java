package dev.rampart.coordinator.storage;

import dev.rampart.common.AtomicFiles;
import dev.rampart.coordinator.ServiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The chunks of uploads in progress: each checked against its digest, sealed and forced on its own file, and fed to
 * the upload's validator in order as chunks become contiguous. Chunks of one upload are sealed and written in
 * parallel (only claiming a sequence number and feeding take the upload's lock), so several chunks in flight use
 * several cores. Part of {@link DatasetStore}, which owns the directories, the keys and the locks.
 */
final class ChunkReceiver {
  /** Marks a chunk that arrived ahead and is on disk but not kept in memory. */
  private static final byte[] NOT_KEPT = new byte[0];

  private final Path uploads;
  private final SealingKeys keys;
  private final DatasetStore.Locks locks;
  private final Map<String, UploadProgress> progress = new ConcurrentHashMap<>();
  private final AtomicLong pendingBytes = new AtomicLong();

  ChunkReceiver(Path uploads, SealingKeys keys, DatasetStore.Locks locks) {
    this.uploads = uploads;
    this.keys = keys;
    this.locks = locks;
  }

  /** The upload's progress (call with its lock held), rebuilt from its sealed chunks after a restart. */
  UploadProgress progress(DatasetStore.Upload upload) throws IOException {
    UploadProgress p = progress.get(upload.uploadId());
    if (p != null && p.generation.equals(upload.generation())) {
      return p;
    }
    drop(upload.uploadId()); // another generation's progress: its waiting chunks' memory goes back
    p = UploadProgress.rebuild(uploads.resolve(upload.uploadId()), upload, keys);
    progress.put(upload.uploadId(), p);
    return p;
  }

  /** See {@link DatasetStore#putChunk}. */
  long put(DatasetStore.Upload upload, long seq, byte[] data, byte[] sha256) throws IOException, ServiceException {
    // what needs no state is checked before the lock: the digest of one chunk never waits for another's
    if (seq < 0) {
      throw ServiceException.invalid("chunk numbers start at 0; " + seq + " is not one");
    }
    if (seq >= upload.chunkCount()) {
      throw ServiceException.invalid("chunk " + seq + " is beyond the last chunk (" + (upload.chunkCount() - 1)
          + ") of a " + upload.request().getManifest().getCanonicalBytes() + "-byte dataset");
    }
    long expected = expectedSize(upload, seq);
    if (data.length != expected) {
      throw ServiceException.invalid("chunk " + seq + " has " + data.length + " bytes; it must have " + expected);
    }
    if (!MessageDigest.isEqual(DatasetStore.sha256(data), sha256)) {
      throw ServiceException.invalid("chunk " + seq + " does not match its SHA-256 (corrupted in transit): send"
          + " it again");
    }
    Object lock = locks.of(upload.uploadId());
    UploadProgress p;
    synchronized (lock) {
      UploadProgress current = progress.get(upload.uploadId());
      if (current != null && !current.generation.equals(upload.generation())) {
        // the upload was begun again (a new generation) after this request read its record: rebuilding progress
        // from the stale record would delete the new generation's acknowledged chunks
        throw ServiceException.precondition("this upload was begun again while chunk " + seq + " was on its way:"
            + " resume from BeginUpload's next_chunk");
      }
      p = progress(upload);
      long next = p.next;
      if (seq < next || p.ahead.containsKey(seq)) {
        return next;
      }
      if (seq >= next + DatasetStore.WINDOW) {
        throw ServiceException.precondition("chunk " + seq + " is more than " + DatasetStore.WINDOW
            + " ahead of chunk " + next + ", the next one needed; resume from BeginUpload's next_chunk");
      }
      p.ahead.put(seq, null); // claimed: a re-send while this one is written is acknowledged, not written
    }
    // sealed and forced outside the lock, under a name of this generation's own: chunks of one upload are written
    // in parallel, and a write that outlives a restart of the upload can never replace the new generation's chunk
    Path dir = uploads.resolve(upload.uploadId());
    Path file = DatasetStore.chunkFile(dir, seq);
    Path pending = dir.resolve(file.getFileName() + "." + upload.generation() + AtomicFiles.TMP_SUFFIX);
    try {
      byte[] sealed = SealedFiles.sealSmall(keys.aead(), file, data, DatasetStore.chunkAd(upload, seq));
      // written and forced under its pending name; the rename below and the directory sync make it durable
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(pending,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
          java.nio.file.StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sealed);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(pending);
      synchronized (lock) {
        p.ahead.remove(seq);
      }
      throw e;
    }
    long answer;
    synchronized (lock) {
      if (progress.get(upload.uploadId()) != p) {
        Files.deleteIfExists(pending);
        return p.next; // the upload was restarted or deleted meanwhile: this chunk belongs to nothing
      }
      try {
        Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException | RuntimeException e) {
        p.ahead.remove(seq);
        Files.deleteIfExists(pending);
        throw e;
      }
      answer = feedLocked(upload, p, seq, data);
    }
    AtomicFiles.syncDirectory(dir); // the rename is on disk before the chunk is acknowledged
    return answer;
  }

  /** Feeds what became contiguous (call with the upload's lock held); returns the next chunk wanted. */
  private long feedLocked(DatasetStore.Upload upload, UploadProgress p, long seq, byte[] data) throws IOException {
    if (seq == p.next) {
      p.ahead.remove(seq);
      p.feed(data);
      p.next++;
      // the chunks that were waiting for this one, in order
      while (p.next < upload.chunkCount() && p.ahead.containsKey(p.next)) {
        byte[] waiting = p.ahead.get(p.next);
        if (waiting == null) {
          break; // still being written: its writer feeds it
        }
        p.ahead.remove(p.next);
        pendingBytes.addAndGet(-waiting.length);
        p.feed(waiting == NOT_KEPT ? readChunk(upload, p.next) : waiting);
        p.next++;
      }
    } else if (pendingBytes.addAndGet(data.length) <= DatasetStore.PENDING_BYTES) {
      p.ahead.put(seq, data);
    } else {
      pendingBytes.addAndGet(-data.length);
      p.ahead.put(seq, NOT_KEPT);
    }
    return p.next;
  }

  private byte[] readChunk(DatasetStore.Upload upload, long seq) throws IOException {
    return SealedFiles.readSmall(keys.aead(), DatasetStore.chunkFile(uploads.resolve(upload.uploadId()), seq),
        DatasetStore.chunkAd(upload, seq));
  }

  private static long expectedSize(DatasetStore.Upload upload, long seq) {
    return seq == upload.chunkCount() - 1
        ? upload.request().getManifest().getCanonicalBytes() - seq * (long) DatasetStore.CHUNK_SIZE
        : DatasetStore.CHUNK_SIZE;
  }

  /** Forgets an upload's progress, returning the memory its waiting chunks held. */
  void drop(String uploadId) {
    UploadProgress p = progress.remove(uploadId);
    if (p != null) {
      for (byte[] waiting : p.ahead.values()) {
        pendingBytes.addAndGet(waiting == null ? 0 : -waiting.length);
      }
    }
  }
}
