package dev.rampart.coordinator.storage;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.StreamingAead;
import dev.rampart.common.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * Sealed files: written to a temporary name, forced to disk, then renamed into place, so a crash leaves the
 * old file or the new one, never half of one; read back only through authenticated decryption, with the file's
 * purpose and name as associated data so that a sealed file cannot be swapped for another.
 */
public final class SealedFiles {
  private SealedFiles() {}

  /** Writes a small sealed record (AEAD) atomically ({@link AtomicFiles}). */
  public static void writeSmall(Aead aead, Path file, byte[] plaintext, String associatedData) throws IOException {
    AtomicFiles.write(file, sealSmall(aead, file, plaintext, associatedData));
  }

  /** The sealed bytes of a small record, for a caller that places them itself ({@code file} names it in errors). */
  static byte[] sealSmall(Aead aead, Path file, byte[] plaintext, String associatedData) throws IOException {
    try {
      return aead.encrypt(plaintext, associatedData.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IOException("sealing " + file.getFileName() + " failed", e);
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

  /** Writes a large sealed file (streaming AEAD) atomically ({@link AtomicFiles}). */
  public static void writeStream(StreamingAead streaming, Path file, String associatedData, Writer writer)
      throws IOException {
    AtomicFiles.write(file, false, out -> {
      OutputStream sealed;
      try {
        sealed = streaming.newEncryptingStream(out, associatedData.getBytes(StandardCharsets.UTF_8));
      } catch (GeneralSecurityException e) {
        throw new IOException("sealing " + file.getFileName() + " failed", e);
      }
      try (OutputStream s = new java.io.BufferedOutputStream(sealed, 1 << 16)) {
        writer.write(s);
      }
    });
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
