package dev.rampart.client.internal;

import dev.rampart.client.ModelIntegrityException;
import com.google.protobuf.ByteString;
import dev.rampart.protocol.v1.FetchModelResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Puts the pieces of a released model together: a temporary file beside the destination, every piece checked
 * against the first one's declared size and digest, the SHA-256 of the whole compared before anything is
 * moved into place. Either {@link #commit()} moves a complete, verified, synced file onto the destination in one
 * rename, or {@link #close()} deletes the temporary file: a reader of the destination never sees a partial or
 * unverified model.
 */
public final class ModelDownload implements AutoCloseable {
  private final Path destination;
  private final Path temp;
  private final FileChannel channel;
  private final MessageDigest digest;
  private final long totalBytes;
  private final ByteString declaredSha256;
  private long offset;
  private boolean committed;

  private ModelDownload(Path destination, Path temp, FileChannel channel, long totalBytes, ByteString declaredSha256) {
    this.destination = destination;
    this.temp = temp;
    this.channel = channel;
    this.totalBytes = totalBytes;
    this.declaredSha256 = declaredSha256;
    this.digest = sha256();
  }

  /**
   * Starts with the answer to the request at offset 0, which must be a release.
   *
   * @throws ModelIntegrityException the first answer is not a usable release
   * @throws IOException the temporary file cannot be made beside {@code destination}
   */
  public static ModelDownload start(Path destination, FetchModelResponse first) throws IOException {
    Objects.requireNonNull(destination, "destination");
    if (!first.getReleased()) {
      throw new IllegalArgumentException("the weights were not released: there is nothing to download");
    }
    if (first.getTotalBytes() <= 0) {
      throw new ModelIntegrityException("the coordinator released a model of " + first.getTotalBytes()
          + " bytes; a model file is never empty");
    }
    if (first.getModelSha256().size() != 32) {
      throw new ModelIntegrityException("the coordinator declared a model SHA-256 of " + first.getModelSha256().size()
          + " bytes instead of 32");
    }
    Path absolute = destination.toAbsolutePath();
    Path dir = absolute.getParent();
    if (Files.isDirectory(absolute)) {
      throw new IOException(destination + " is a directory; give a file name for the model");
    }
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IOException("no directory " + dir + " to write " + destination + " into");
    }
    // same directory: the final rename cannot cross file systems, so it is atomic
    Path temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".part");
    FileChannel channel;
    try {
      channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    ModelDownload d = new ModelDownload(absolute, temp, channel, first.getTotalBytes(),
        first.getModelSha256());
    try {
      d.append(first);
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  /** Where the next piece starts: what to ask for next. */
  public long offset() {
    return offset;
  }

  public long totalBytes() {
    return totalBytes;
  }

  /** Whether every byte has arrived. */
  public boolean complete() {
    return offset == totalBytes;
  }

  /**
   * Appends the answer to the request at {@link #offset()}.
   *
   * @throws ModelIntegrityException the piece does not belong to this model at this place
   */
  public void append(FetchModelResponse piece) throws IOException {
    if (committed) {
      throw new IllegalStateException("the model was already written");
    }
    if (!piece.getReleased()) {
      throw new ModelIntegrityException("the coordinator stopped releasing the weights during the download (at byte "
          + offset + " of " + totalBytes + "); nothing was written: fetch again");
    }
    if (piece.getTotalBytes() != totalBytes || !piece.getModelSha256().equals(declaredSha256)) {
      throw new ModelIntegrityException("the model changed during the download (size or SHA-256 differs from the"
          + " first piece's); nothing was written: fetch again");
    }
    int n = piece.getModel().size();
    if (n == 0 && offset < totalBytes) {
      throw new ModelIntegrityException("the coordinator sent an empty piece at byte " + offset + " of " + totalBytes
          + "; nothing was written");
    }
    if (n > totalBytes - offset) {
      throw new ModelIntegrityException("the coordinator sent " + n + " bytes at byte " + offset + " of a "
          + totalBytes + "-byte model, more than is left; nothing was written");
    }
    ByteBuffer buffer = piece.getModel().asReadOnlyByteBuffer();
    digest.update(buffer.duplicate());
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    offset += n;
  }

  /**
   * Checks the whole file's SHA-256, forces it to disk and renames it onto the destination (replacing an older
   * file) in one atomic rename.
   *
   * @return the SHA-256, lower-case hex
   * @throws ModelIntegrityException bytes are missing or the digest differs: the destination is untouched
   */
  public String commit() throws IOException {
    if (committed) {
      throw new IllegalStateException("the model was already written");
    }
    if (!complete()) {
      throw new ModelIntegrityException("the download stopped at byte " + offset + " of " + totalBytes
          + "; nothing was written");
    }
    byte[] actual = digest.digest();
    if (!MessageDigest.isEqual(actual, declaredSha256.toByteArray())) {
      throw new ModelIntegrityException("the model's SHA-256 is " + HexFormat.of().formatHex(actual)
          + " but the coordinator declared " + HexFormat.of().formatHex(declaredSha256.toByteArray())
          + "; nothing was written: fetch again");
    }
    channel.force(true);
    channel.close();
    try {
      Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename a file onto " + destination + " atomically on this file system; choose"
          + " another destination", e);
    }
    dev.rampart.common.AtomicFiles.syncDirectory(destination.toAbsolutePath().getParent());
    committed = true;
    return HexFormat.of().formatHex(actual);
  }

  /** The destination, once committed. */
  public Path destination() {
    return destination;
  }

  /** The temporary file (for tests: it must be gone after {@link #close()}). */
  public Path temporaryFile() {
    return temp;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** Deletes the temporary file unless the model was committed. */
  @Override
  public void close() throws IOException {
    if (channel.isOpen()) {
      channel.close();
    }
    if (!committed) {
      Files.deleteIfExists(temp);
    }
  }
}
