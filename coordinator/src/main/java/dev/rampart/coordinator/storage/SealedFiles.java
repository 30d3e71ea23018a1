package dev.rampart.coordinator.storage;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.StreamingAead;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;

/**
 * Sealed files: written to a temporary name, forced to disk, then renamed into place, so a crash leaves the
 * old file or the new one, never half of one; read back only through authenticated decryption, with the file's
 * purpose and name as associated data so that a sealed file cannot be swapped for another.
 */
public final class SealedFiles {
  private SealedFiles() {}

  /** Writes a small sealed record (AEAD) atomically. */
  public static void writeSmall(Aead aead, Path file, byte[] plaintext, String associatedData) throws IOException {
    byte[] sealed;
    try {
      sealed = aead.encrypt(plaintext, associatedData.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IOException("sealing " + file.getFileName() + " failed", e);
    }
    // a unique temporary name: two writers of the same record (a re-sent chunk) never share one
    Path tmp = file.resolveSibling(file.getFileName() + "." + Thread.currentThread().getId() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sealed);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(file.getParent());
  }

  /**
   * Forces a directory's entries to disk: without it a rename can be lost in a power cut after the journal
   * (which is forced) already says the file exists.
   */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Reads a small sealed record; tampering, truncation or a swapped file is a {@link SealedDataException}. */
  public static byte[] readSmall(Aead aead, Path file, String associatedData) throws IOException {
    byte[] sealed = Files.readAllBytes(file);
    try {
      return aead.decrypt(sealed, associatedData.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new SealedDataException(file + " fails authentication: it was modified, truncated or moved");
    }
  }

  /** Something that writes a sealed file's plaintext. */
  public interface Writer {
    void write(OutputStream plaintext) throws IOException;
  }

  /** Writes a large sealed file (streaming AEAD) atomically. */
  public static void writeStream(StreamingAead streaming, Path file, String associatedData, Writer writer)
      throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + "." + Thread.currentThread().getId() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream raw = Channels.newOutputStream(ch);
      OutputStream sealed;
      try {
        sealed = streaming.newEncryptingStream(new java.io.FilterOutputStream(raw) {
          @Override
          public void close() throws IOException {
            flush(); // the channel is closed (and forced) below
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }
        }, associatedData.getBytes(StandardCharsets.UTF_8));
      } catch (GeneralSecurityException e) {
        throw new IOException("sealing " + file.getFileName() + " failed", e);
      }
      try (OutputStream s = new java.io.BufferedOutputStream(sealed, 1 << 16)) {
        writer.write(s);
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(file.getParent());
  }

  /**
   * Opens a large sealed file for reading. Each 1 MiB segment is authenticated before its bytes are returned and
   * a truncated file fails at its end: a reader must treat any {@link IOException} as "the whole file is bad".
   */
  public static InputStream openStream(StreamingAead streaming, Path file, String associatedData) throws IOException {
    InputStream in;
    try {
      in = streaming.newDecryptingStream(Files.newInputStream(file), associatedData.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new SealedDataException(file + " cannot be opened: " + e.getMessage());
    }
    // Tink reports a segment that fails authentication as a plain IOException: typed here, naming the file
    return new java.io.FilterInputStream(in) {
      private long position;

      @Override
      public int read() throws IOException {
        try {
          int b = super.read();
          position += b < 0 ? 0 : 1;
          return b;
        } catch (SealedDataException e) {
          throw e;
        } catch (IOException e) {
          throw damaged(e);
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          int n = super.read(b, off, len);
          position += Math.max(0, n);
          return n;
        } catch (SealedDataException e) {
          throw e;
        } catch (IOException e) {
          throw damaged(e);
        }
      }

      private SealedDataException damaged(IOException e) {
        return new SealedDataException(file.getFileName() + " fails authentication after " + position
            + " bytes: it was modified, truncated or replaced on the coordinator's disk (" + e.getMessage()
            + "); restore the state directory from a backup");
      }
    };
  }
}
