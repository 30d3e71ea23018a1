package dev.rampart.coordinator.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.datasets.CanonicalReader;
import dev.rampart.datasets.DatasetFormatException;
import dev.rampart.datasets.Summary;
import dev.rampart.protocol.v1.BeginUploadRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Sealed dataset storage and resumable uploads. An upload is a directory of chunks, each sealed on its own
 * (AEAD, bound to the upload and its number) and acknowledged only once it is on disk, so a broken connection
 * or a killed coordinator resumes from the last acknowledged chunk. Finishing re-reads every chunk, validates the
 * canonical format, re-hashes it (the id must match), and re-seals it as one streaming-AEAD file moved into place
 * atomically. No plaintext byte is ever written to disk; callers must run all of this off the event loop.
 */
public final class DatasetStore {
  /** Every chunk but the last has exactly this size. */
  public static final int CHUNK_SIZE = 1 << 20;
  /** The largest canonical dataset accepted (the canonical format's own limit). */
  public static final long MAX_BYTES = 8L << 30;
  /** How far ahead of the next needed chunk a chunk may arrive (a client's chunks in flight). */
  public static final int WINDOW = 16;

  private final Path datasets;
  private final Path uploads;
  private final SealingKeys keys;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final Map<String, Long> nextChunk = new ConcurrentHashMap<>();

  public DatasetStore(Path stateDir, SealingKeys keys) throws IOException {
    this.datasets = Files.createDirectories(stateDir.resolve("datasets"));
    this.uploads = Files.createDirectories(stateDir.resolve("uploads"));
    this.keys = keys;
  }

  /** An upload in progress, as recorded when it began. */
  public record Upload(String uploadId, String ownerFingerprint, BeginUploadRequest request, long chunkCount) {}

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
   */
  public Upload begin(String ownerFingerprint, BeginUploadRequest request) throws IOException {
    String id = uploadId(ownerFingerprint, request.getManifest().getDatasetId());
    synchronized (lock(id)) {
      Path dir = uploads.resolve(id);
      Path begin = dir.resolve("begin.sealed");
      long next = 0;
      if (Files.exists(begin)) {
        Upload existing = read(id);
        // ECDSA signatures are randomised: a new agent process signs the same manifest differently (the caller
        // has verified its signature), so compare everything but the signature
        if (!existing.request().getManifest().toBuilder().clearOwnerSignature().build()
            .equals(request.getManifest().toBuilder().clearOwnerSignature().build())) {
          // same dataset id and owner, different manifest: start over rather than mix two uploads
          deleteUpload(id);
        } else if (existing.request().equals(request)) {
          nextChunk.put(id, contiguousChunks(dir));
          return existing;
        } else {
          next = contiguousChunks(dir); // the same content under a new license (or signature): keep the chunks
        }
      }
      Files.createDirectories(dir);
      SealedFiles.syncDirectory(uploads);
      byte[] record = request.toBuilder().build().toByteArray();
      SealedFiles.writeSmall(keys.aead(), begin, concat(ownerFingerprint, record), "rampart-upload-begin/v1|" + id);
      nextChunk.put(id, next);
      return new Upload(id, ownerFingerprint, request, chunkCount(request.getManifest().getCanonicalBytes()));
    }
  }

  private static byte[] concat(String owner, byte[] record) {
    byte[] o = owner.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[1 + o.length + record.length];
    out[0] = (byte) o.length;
    System.arraycopy(o, 0, out, 1, o.length);
    System.arraycopy(record, 0, out, 1 + o.length, record.length);
    return out;
  }

  /** The upload with this id, as it began. */
  public Upload read(String uploadId) throws IOException {
    if (!uploadId.matches("[0-9a-f]{32}")) {
      throw new IOException("not an upload id: 32 hex digits expected");
    }
    Path begin = uploads.resolve(uploadId).resolve("begin.sealed");
    if (!Files.exists(begin)) {
      throw new java.nio.file.NoSuchFileException("no upload " + uploadId + "; call BeginUpload first");
    }
    byte[] plain = SealedFiles.readSmall(keys.aead(), begin, "rampart-upload-begin/v1|" + uploadId);
    int n = plain[0] & 0xff;
    String owner = new String(plain, 1, n, StandardCharsets.US_ASCII);
    try {
      BeginUploadRequest r = BeginUploadRequest.parseFrom(Arrays.copyOfRange(plain, 1 + n, plain.length));
      return new Upload(uploadId, owner, r, chunkCount(r.getManifest().getCanonicalBytes()));
    } catch (InvalidProtocolBufferException e) {
      throw new SealedDataException("the upload record " + begin + " does not parse");
    }
  }

  public long nextChunk(String uploadId) throws IOException {
    Long n = nextChunk.get(uploadId);
    return n != null ? n : contiguousChunks(uploads.resolve(uploadId));
  }

  /**
   * Stores one chunk and returns the next chunk wanted (every chunk below it is on disk). Chunks may arrive out
   * of order within {@link #WINDOW} of that point, so a client can keep several in flight; a chunk below it is a
   * re-send after a lost acknowledgement and is acknowledged again without being rewritten.
   */
  public long putChunk(Upload upload, long seq, byte[] data, byte[] sha256) throws IOException, ServiceException {
    long next = nextChunk(upload.uploadId());
    if (seq < next) {
      return next;
    }
    if (seq >= next + WINDOW) {
      throw new ServiceException(GrpcStatus.FAILED_PRECONDITION, "chunk " + seq + " is more than " + WINDOW
          + " ahead of chunk " + next + ", the next one needed; resume from BeginUpload's next_chunk");
    }
    if (seq >= upload.chunkCount()) {
      throw ServiceException.invalid("chunk " + seq + " is beyond the last chunk (" + (upload.chunkCount() - 1)
          + ") of a " + upload.request().getManifest().getCanonicalBytes() + "-byte dataset");
    }
    long expected = seq == upload.chunkCount() - 1
        ? upload.request().getManifest().getCanonicalBytes() - seq * (long) CHUNK_SIZE : CHUNK_SIZE;
    if (data.length != expected) {
      throw ServiceException.invalid("chunk " + seq + " has " + data.length + " bytes; it must have " + expected);
    }
    if (!MessageDigest.isEqual(sha256(data), sha256)) {
      throw ServiceException.invalid("chunk " + seq + " does not match its SHA-256 (corrupted in transit): send it"
          + " again");
    }
    // sealed and forced outside the lock: chunks of one upload are written in parallel, each to its own file
    SealedFiles.writeSmall(keys.aead(), chunkFile(upload.uploadId(), seq), data, chunkAd(upload.uploadId(), seq));
    synchronized (lock(upload.uploadId())) {
      long n = nextChunk(upload.uploadId());
      Path dir = uploads.resolve(upload.uploadId());
      while (n < upload.chunkCount() && Files.exists(dir.resolve(String.format("%08d.chunk", n)))) {
        n++;
      }
      nextChunk.put(upload.uploadId(), n);
      return n;
    }
  }

  /**
   * Validates the complete upload and seals it as the dataset file. The upload directory stays until
   * {@link #deleteUpload} (after the journal records the dataset), so a crash in between loses nothing.
   *
   * @return the summary of the validated canonical content
   */
  public Summary finish(Upload upload) throws IOException, ServiceException {
    String datasetId = upload.request().getManifest().getDatasetId();
    // one finisher per dataset id (two owners may hold the same content), and per upload
    synchronized (lock("dataset:" + datasetId)) {
      synchronized (lock(upload.uploadId())) {
        long next = nextChunk(upload.uploadId());
        if (next != upload.chunkCount()) {
          throw ServiceException.precondition("the upload has " + next + " of " + upload.chunkCount()
              + " chunks; send the rest first");
        }
        var m = upload.request().getManifest();
        Summary[] summary = new Summary[1];
        try {
          // everything is checked inside the writer: on any failure the temporary file is deleted and the
          // dataset file in place (if any) is never touched
          SealedFiles.writeStream(keys.streaming(), datasetFile(datasetId), datasetAd(datasetId), out -> {
            Summary s;
            try (InputStream in = new TeeInputStream(chunks(upload), out)) {
              s = CanonicalReader.validate(in);
            } catch (DatasetFormatException e) {
              throw new Refusal(ServiceException.invalid("the uploaded dataset is not valid canonical data: "
                  + e.getMessage()));
            }
            if (!s.sha256Hex().equals(datasetId)) {
              throw new Refusal(ServiceException.invalid("the uploaded bytes hash to " + s.sha256Hex()
                  + ", not to the dataset id " + datasetId + "; upload again"));
            }
            var h = s.header();
            if (h.rowCount() != m.getRows() || h.featureCount() != m.getFeatures() || h.classCount() != m.getClasses()) {
              throw new Refusal(ServiceException.invalid("the manifest says " + m.getRows() + " rows, "
                  + m.getFeatures() + " features, " + m.getClasses() + " classes; the data has " + h.rowCount()
                  + ", " + h.featureCount() + ", " + h.classCount()));
            }
            summary[0] = s;
          });
        } catch (Refusal r) {
          throw r.refusal;
        } catch (DamagedChunk d) {
          // a chunk that fails authentication on disk: drop it and everything after, the client resends
          for (long seq = d.seq; seq < upload.chunkCount(); seq++) {
            Files.deleteIfExists(chunkFile(upload.uploadId(), seq));
          }
          nextChunk.put(upload.uploadId(), d.seq);
          throw new ServiceException(GrpcStatus.ABORTED, "chunk " + d.seq + " was damaged on the coordinator's disk"
              + " and was dropped; resume the upload from BeginUpload");
        }
        return summary[0];
      }
    }
  }

  /** A refusal raised inside the sealing writer, carried out of it. */
  private static final class Refusal extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient ServiceException refusal;

    Refusal(ServiceException refusal) {
      super(refusal.getMessage());
      this.refusal = refusal;
    }
  }

  /** A chunk file that failed authentication. */
  private static final class DamagedChunk extends IOException {
    private static final long serialVersionUID = 1L;
    private final long seq;

    DamagedChunk(long seq) {
      super("chunk " + seq + " fails authentication");
      this.seq = seq;
    }
  }

  private InputStream chunks(Upload upload) {
    List<InputStream> parts = new ArrayList<>();
    for (long i = 0; i < upload.chunkCount(); i++) {
      long seq = i;
      parts.add(new LazyChunk(() -> {
        try {
          return SealedFiles.readSmall(keys.aead(), chunkFile(upload.uploadId(), seq), chunkAd(upload.uploadId(), seq));
        } catch (SealedDataException | java.nio.file.NoSuchFileException e) {
          throw new DamagedChunk(seq);
        }
      }));
    }
    return new SequenceInputStream(Collections.enumeration(parts));
  }

  /** Opens the sealed dataset: every segment is authenticated before it is returned. */
  public InputStream open(String datasetId) throws IOException {
    return SealedFiles.openStream(keys.streaming(), datasetFile(datasetId), datasetAd(datasetId));
  }

  /** Uploads not resumed for this long are deleted at boot (the owner's agent starts over). */
  public static final java.time.Duration UPLOAD_EXPIRY = java.time.Duration.ofDays(7);

  /**
   * At boot, before anything is served: deletes the temporary files of writes a crash interrupted (a write is
   * complete only once renamed into place, so a {@code *.tmp} is never a record: the red team's kill during
   * FinishUpload left a {@code *.sealed.N.tmp} of the dataset's size), the uploads whose dataset is already
   * stored (a crash between the journal record and the upload's deletion), and the uploads untouched for
   * {@link #UPLOAD_EXPIRY}.
   *
   * @param stored whether a dataset id is stored (journaled)
   * @return what was deleted: temporary files, and uploads
   */
  public int[] cleanUp(java.util.function.Predicate<String> stored, java.time.Instant now) throws IOException {
    int tmps = 0;
    int expired = 0;
    List<Path> dirs = new ArrayList<>(List.of(datasets, uploads));
    try (Stream<Path> ups = Files.list(uploads)) {
      ups.filter(Files::isDirectory).forEach(dirs::add);
    }
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
          Files.deleteIfExists(f);
          tmps++;
        }
      }
    }
    try (Stream<Path> ups = Files.list(uploads)) {
      for (Path dir : ups.filter(Files::isDirectory).toList()) {
        String id = dir.getFileName().toString();
        boolean drop;
        try {
          drop = stored.test(read(id).request().getManifest().getDatasetId());
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
        if (drop || touched.plus(UPLOAD_EXPIRY).isBefore(now)) {
          deleteUpload(id);
          expired++;
        }
      }
    }
    return new int[] {tmps, expired};
  }

  public void deleteUpload(String uploadId) throws IOException {
    Path dir = uploads.resolve(uploadId);
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
    nextChunk.remove(uploadId);
  }

  public Path datasetFile(String datasetId) {
    if (!datasetId.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("a dataset id is 64 lower-case hex digits");
    }
    return datasets.resolve(datasetId + ".sealed");
  }

  private static String datasetAd(String datasetId) {
    return "rampart-dataset/v1|" + datasetId;
  }

  private Path chunkFile(String uploadId, long seq) {
    return uploads.resolve(uploadId).resolve(String.format("%08d.chunk", seq));
  }

  private static String chunkAd(String uploadId, long seq) {
    return "rampart-upload-chunk/v1|" + uploadId + "|" + seq;
  }

  private static long contiguousChunks(Path dir) {
    long n = 0;
    while (Files.exists(dir.resolve(String.format("%08d.chunk", n)))) {
      n++;
    }
    return n;
  }

  private Object lock(String id) {
    return locks.computeIfAbsent(id, k -> new Object());
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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

  /** Copies everything read to a second stream (the sealing writer), so validation and sealing are one pass. */
  private static final class TeeInputStream extends FilterInputStream {
    private final OutputStream copy;

    TeeInputStream(InputStream in, OutputStream copy) {
      super(in);
      this.copy = copy;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        copy.write(b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        copy.write(b, off, n);
      }
      return n;
    }
  }
}
