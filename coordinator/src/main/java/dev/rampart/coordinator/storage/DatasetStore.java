package dev.rampart.coordinator.storage;

import dev.rampart.common.AtomicFiles;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.datasets.DatasetFormatException;
import dev.rampart.datasets.Summary;
import dev.rampart.protocol.v1.BeginUploadRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Sealed dataset storage and resumable uploads. An upload is a directory of chunks, each sealed on its own (AEAD,
 * bound to the upload, its generation and its number) and acknowledged only once it is on disk, so a broken
 * connection or a killed coordinator resumes from the last acknowledged chunk. The sealed chunks are also the stored
 * form: as chunks become contiguous their plaintext (still in memory from the request) is fed, in order, to a
 * {@link CanonicalValidator} that checks the canonical format and hashes every byte, so finishing is a metadata
 * commit: the hash must equal the dataset id, a sealed record of the chunks is written, and the directory is renamed
 * into {@code datasets/} atomically. Each byte is sealed once and never re-read to finish (issue 13, section 4).
 * No plaintext byte is ever written to disk; callers must run all of this off the event loop.
 *
 * <p>Datasets stored by earlier versions as one streaming-AEAD file ({@code datasets/ID.sealed}) are still read.
 */
public final class DatasetStore {
  /** Every chunk but the last has exactly this size. */
  public static final int CHUNK_SIZE = 1 << 20;
  /** The largest canonical dataset accepted (the canonical format's own limit). */
  public static final long MAX_BYTES = 8L << 30;
  /** How far ahead of the next needed chunk a chunk may arrive (a client's chunks in flight). */
  public static final int WINDOW = 16;
  /**
   * Plaintext of chunks that arrived ahead of a gap, kept in memory (over every upload) until the gap is filled;
   * beyond it such chunks are read back from disk when their turn comes.
   */
  static final long PENDING_BYTES = 64L << 20;

  private final Path datasets;
  private final Path uploads;
  private final SealingKeys keys;
  private final Locks locks = new Locks();
  private final ChunkReceiver chunks;
  private final SecureRandom random = new SecureRandom();
  private final StoredDatasets stored;

  public DatasetStore(Path stateDir, SealingKeys keys) throws IOException {
    this.datasets = Files.createDirectories(stateDir.resolve("datasets"));
    this.uploads = Files.createDirectories(stateDir.resolve("uploads"));
    this.keys = keys;
    this.stored = new StoredDatasets(datasets, keys);
    this.chunks = new ChunkReceiver(uploads, keys, locks);
  }

  /**
   * An upload in progress, as recorded when it began. The generation is fresh for every new upload of a dataset id
   * and bound into every chunk's associated data, so a chunk sealed for an earlier, abandoned upload of the same id
   * (the id names the owner and the content's claimed hash, not one attempt) cannot be slipped into this one.
   */
  public record Upload(String uploadId, String ownerFingerprint, BeginUploadRequest request, long chunkCount,
      String generation) {}

  /** What the store says when the dataset an upload would create is already stored (a finish won the race). */
  public static final class AlreadyStoredException extends IOException {
    private static final long serialVersionUID = 1L;

    AlreadyStoredException(String datasetId) {
      super("dataset " + datasetId.substring(0, 16) + "… is already stored");
    }
  }

  /** The id of an owner's upload of a dataset: the same on every retry, so uploads resume. */
  public static String uploadId(String ownerFingerprint, String datasetId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((ownerFingerprint + ":" + datasetId).getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(h, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static long chunkCount(long bytes) {
    return (bytes + CHUNK_SIZE - 1) / CHUNK_SIZE;
  }

  /**
   * Starts or resumes an upload; returns it with the next chunk the coordinator needs. A resumed upload keeps its
   * chunks (the manifest, and so the content, is the same) but takes this request's license: the license in force
   * is always the one the owner sent last, and it is on disk (replacing the earlier one atomically) before this
   * returns, so a crash at any point can never bring an earlier, broader license back.
   *
   * @throws AlreadyStoredException if a finish has stored the dataset meanwhile (it holds the upload's lock until
   *     the journal records it, so the caller finds it in the state and answers "already stored")
   */
  public Upload begin(String ownerFingerprint, BeginUploadRequest request) throws IOException {
    String datasetId = request.getManifest().getDatasetId();
    String id = uploadId(ownerFingerprint, datasetId);
    // the dataset's lock first, as finish takes them: a finish of another owner's identical upload renames and
    // journals under it, so this sees either nothing stored or a journaled dataset
    synchronized (lock("dataset:" + datasetId)) {
      return beginLocked(ownerFingerprint, request, datasetId, id);
    }
  }

  private Upload beginLocked(String ownerFingerprint, BeginUploadRequest request, String datasetId, String id)
      throws IOException {
    synchronized (lock(id)) {
      if (stored.exists(datasetId)) {
        throw new AlreadyStoredException(datasetId);
      }
      Path dir = uploads.resolve(id);
      Path begin = dir.resolve(BeginRecord.FILE);
      String generation = null;
      if (Files.exists(begin)) {
        Upload existing = read(id);
        // ECDSA signatures are randomised: a new agent process signs the same manifest differently (the caller
        // has verified its signature), so compare everything but the signature
        if (!existing.request().getManifest().toBuilder().clearOwnerSignature().build()
            .equals(request.getManifest().toBuilder().clearOwnerSignature().build())) {
          // same dataset id and owner, different manifest: start over rather than mix two uploads
          deleteUpload(id);
        } else if (existing.request().equals(request)) {
          progress(existing);
          return existing;
        } else {
          generation = existing.generation(); // the same content under a new license (or signature): keep the chunks
        }
      }
      if (generation == null) {
        byte[] g = new byte[16];
        random.nextBytes(g);
        generation = HexFormat.of().formatHex(g);
      }
      Files.createDirectories(dir);
      AtomicFiles.syncDirectory(uploads);
      byte[] record = request.toBuilder().build().toByteArray();
      BeginRecord.write(keys, begin, id, ownerFingerprint, generation, record);
      Upload u = new Upload(id, ownerFingerprint, request, chunkCount(request.getManifest().getCanonicalBytes()),
          generation);
      progress(u);
      return u;
    }
  }

  /** The upload with this id, as it began (or as its latest resume rewrote it). */
  public Upload read(String uploadId) throws IOException {
    if (!uploadId.matches("[0-9a-f]{32}")) {
      throw new IOException("not an upload id: 32 hex digits expected");
    }
    return BeginRecord.read(keys, uploads.resolve(uploadId), uploadId);
  }

  public long nextChunk(String uploadId) throws IOException {
    return nextChunk(read(uploadId));
  }

  /** The next chunk the upload needs (every chunk below it is on disk). */
  public long nextChunk(Upload upload) throws IOException {
    synchronized (lock(upload.uploadId())) {
      return progress(upload).next;
    }
  }

  private UploadProgress progress(Upload upload) throws IOException {
    return chunks.progress(upload);
  }

  /**
   * Stores one chunk and returns the next chunk wanted (every chunk below it is on disk). Chunks may arrive out
   * of order within {@link #WINDOW} of that point, so a client can keep several in flight; a chunk already stored
   * (or being stored) is a re-send after a lost acknowledgement and is acknowledged again without being rewritten,
   * so the bytes on disk are always the bytes the validator read.
   */
  public long putChunk(Upload upload, long seq, byte[] data, byte[] sha256) throws IOException, ServiceException {
    return chunks.put(upload, seq, data, sha256);
  }

  /** Records the validated upload as stored data: called with the store's locks held, so nothing races it. */
  public interface Commit {
    /**
     * @param latest the upload as the owner last began it (its license is the one in force)
     * @param summary the validated content
     */
    void record(Upload latest, Summary summary) throws IOException, ServiceException;
  }

  /**
   * Finishes a complete upload: checks what the validator read as the chunks arrived (the format, the hash against
   * the dataset id, the manifest's counts), writes the sealed record of the chunks, renames the directory into
   * {@code datasets/} and calls {@code commit} (which journals the dataset) before releasing the upload's lock. If
   * the commit fails, the directory goes back and the upload can be finished again.
   *
   * @return the summary of the validated canonical content
   */
  public Summary finish(Upload upload, Commit commit) throws IOException, ServiceException {
    String datasetId = upload.request().getManifest().getDatasetId();
    // one finisher per dataset id (two owners may hold the same content), and per upload
    synchronized (lock("dataset:" + datasetId)) {
      synchronized (lock(upload.uploadId())) {
        Upload latest = read(upload.uploadId());
        UploadProgress p = progress(latest);
        if (p.next != upload.chunkCount()) {
          throw ServiceException.precondition("the upload has " + p.next + " of " + upload.chunkCount()
              + " chunks; send the rest first");
        }
        var m = upload.request().getManifest();
        if (p.summary == null && p.defect == null) {
          try {
            p.summary = p.validator.finish();
          } catch (DatasetFormatException e) {
            p.defect = e;
          }
        }
        if (p.defect != null) {
          throw ServiceException.invalid("the uploaded dataset is not valid canonical data: "
              + p.defect.getMessage());
        }
        Summary s = p.summary;
        if (!s.sha256Hex().equals(datasetId)) {
          throw ServiceException.invalid("the uploaded bytes hash to " + s.sha256Hex() + ", not to the dataset id "
              + datasetId + "; upload again");
        }
        var h = s.header();
        if (h.rowCount() != m.getRows() || h.featureCount() != m.getFeatures() || h.classCount() != m.getClasses()) {
          throw ServiceException.invalid("the manifest says " + m.getRows() + " rows, " + m.getFeatures()
              + " features, " + m.getClasses() + " classes; the data has " + h.rowCount() + ", " + h.featureCount()
              + ", " + h.classCount());
        }
        Path dir = uploads.resolve(upload.uploadId());
        Path target = stored.dir(datasetId);
        if (this.stored.exists(datasetId)) {
          // stored by another owner's finish (the same bytes: the same hash); the commit decides what to answer
          commit.record(latest, s);
          return s;
        }
        SealedFiles.writeSmall(keys.aead(), dir.resolve(StoredDatasets.RECORD),
            StoredDatasets.record(latest.uploadId(), latest.generation(), upload.chunkCount(), m.getCanonicalBytes()),
            StoredDatasets.recordAd(datasetId));
        Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncDirectory(uploads);
        AtomicFiles.syncDirectory(datasets);
        drop(upload.uploadId());
        try {
          commit.record(latest, s);
        } catch (IOException | ServiceException | RuntimeException e) {
          Files.move(target, dir, StandardCopyOption.ATOMIC_MOVE); // not journaled: an upload again
          AtomicFiles.syncDirectory(datasets);
          AtomicFiles.syncDirectory(uploads);
          throw e;
        }
        return s;
      }
    }
  }

  /** Uploads not resumed for this long are deleted at boot (the owner's agent starts over). */
  public static final java.time.Duration UPLOAD_EXPIRY = java.time.Duration.ofDays(7);

  /**
   * At boot, before anything is served: see {@link BootCleanup#run}.
   *
   * @return what was done: temporary files deleted, uploads deleted, datasets moved back to the uploads
   */
  public int[] cleanUp(java.util.function.Predicate<String> journaled, java.time.Instant now) throws IOException {
    return new BootCleanup(this).run(journaled, now);
  }

  Path uploadsDir() {
    return uploads;
  }

  Path datasetsDir() {
    return datasets;
  }

  StoredDatasets stored() {
    return stored;
  }

  public void deleteUpload(String uploadId) throws IOException {
    synchronized (lock(uploadId)) {
      deleteDirectory(uploads.resolve(uploadId));
      drop(uploadId);
    }
  }

  private void drop(String uploadId) {
    chunks.drop(uploadId);
  }

  static void deleteDirectory(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  static Path chunkFile(Path dir, long seq) {
    return dir.resolve(String.format("%08d.chunk", seq));
  }

  /** Where a dataset's sealed chunks are stored. */
  public Path storedDir(String datasetId) {
    return stored.dir(datasetId);
  }

  /**
   * Opens a stored dataset: every chunk (or, for a dataset stored by an earlier version, every segment) is
   * authenticated before its bytes are returned, and a missing, swapped or truncated chunk fails naming its file.
   */
  public InputStream open(String datasetId) throws IOException {
    return stored.open(datasetId);
  }

  static String chunkAd(Upload upload, long seq) {
    return chunkAd(upload.uploadId(), upload.generation(), seq);
  }

  static String chunkAd(String uploadId, String generation, long seq) {
    return generation.isEmpty() ? "rampart-upload-chunk/v1|" + uploadId + "|" + seq
        : "rampart-upload-chunk/v2|" + uploadId + "|" + generation + "|" + seq;
  }

  private Object lock(String id) {
    return locks.of(id);
  }

  /** One monitor per upload id and per {@code "dataset:" + id}; the order is dataset first, then upload. */
  static final class Locks {
    private final Map<String, Object> monitors = new ConcurrentHashMap<>();

    Object of(String id) {
      return monitors.computeIfAbsent(id, k -> new Object());
    }
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
