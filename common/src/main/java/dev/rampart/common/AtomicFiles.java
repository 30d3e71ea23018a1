package dev.rampart.common;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * The one way Rampart writes a file that must survive a crash whole: to a fresh temporary name beside it, forced to
 * disk, renamed over the target atomically, and the directory forced too (without that, a power cut can lose the
 * rename after a journal, which is forced, already says the file exists). A reader sees the old file or the new one,
 * never half of one; on any failure the temporary file is deleted and the target is untouched.
 *
 * <p>Temporary names end in {@value #TMP_SUFFIX}, so that a boot can delete what a crash left.
 */
public final class AtomicFiles {
  /** How every temporary file of an atomic write ends. */
  public static final String TMP_SUFFIX = ".tmp";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private AtomicFiles() {}

  /** Something that writes a file's content. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes {@code bytes} as {@code file}, atomically and durably. */
  public static void write(Path file, byte[] bytes) throws IOException {
    write(file, false, out -> out.write(bytes));
  }

  /**
   * Writes what {@code content} produces as {@code file}, atomically and durably.
   *
   * @param ownerOnly whether the file is readable by its owner only (mode 0600 where the file system has POSIX
   *     permissions), from the moment it is created: for keys
   */
  public static void write(Path file, boolean ownerOnly, Content content) throws IOException {
    Objects.requireNonNull(content, "content");
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve(file.getFileName() + "." + HexFormat.of().formatHex(randomBytes()) + TMP_SUFFIX);
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    FileAttribute<?>[] attrs = ownerOnly && posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
    try {
      try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          attrs)) {
        OutputStream out = new java.io.BufferedOutputStream(Channels.newOutputStream(new Unclosable(ch)), 1 << 16);
        content.writeTo(out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + file + " atomically on this file system: keep Rampart's files on"
            + " a local file system (ext4, xfs, btrfs, tmpfs)", e);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    syncDirectory(dir);
  }

  /** Forces a directory's entries (creations, renames, deletions) to disk. */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return b;
  }

  /** The channel as a stream a writer may close without closing (and so unforcing) the channel under it. */
  private static final class Unclosable implements java.nio.channels.WritableByteChannel {
    private final FileChannel ch;

    Unclosable(FileChannel ch) {
      this.ch = ch;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      int n = 0;
      while (src.hasRemaining()) {
        n += ch.write(src);
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return ch.isOpen();
    }

    @Override
    public void close() {
      // the channel is forced and closed by AtomicFiles.write
    }
  }
}
