package dev.rampart.coordinator.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rampart.protocol.v1.BeginUploadRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The sealed record of how an upload began ({@code begin.sealed}): the owner's fingerprint, the upload's generation
 * and the owner's last BeginUpload request, sealed with the upload's id as associated data. Records of uploads begun
 * before generations existed (v1) are still read, with an empty generation.
 */
final class BeginRecord {
  static final String FILE = "begin.sealed";
  private static final int GENERATION_BYTES = 16;

  private BeginRecord() {}

  static void write(SealingKeys keys, Path file, String uploadId, String owner, String generation, byte[] request)
      throws IOException {
    byte[] o = owner.getBytes(StandardCharsets.US_ASCII);
    byte[] g = HexFormat.of().parseHex(generation);
    byte[] out = new byte[1 + o.length + g.length + request.length];
    out[0] = (byte) o.length;
    System.arraycopy(o, 0, out, 1, o.length);
    System.arraycopy(g, 0, out, 1 + o.length, g.length);
    System.arraycopy(request, 0, out, 1 + o.length + g.length, request.length);
    SealedFiles.writeSmall(keys.aead(), file, out, "rampart-upload-begin/v2|" + uploadId);
  }

  static DatasetStore.Upload read(SealingKeys keys, Path dir, String uploadId) throws IOException {
    Path begin = dir.resolve(FILE);
    if (!Files.exists(begin)) {
      throw new java.nio.file.NoSuchFileException("no upload " + uploadId + "; call BeginUpload first");
    }
    byte[] plain;
    int generationBytes = GENERATION_BYTES;
    try {
      plain = SealedFiles.readSmall(keys.aead(), begin, "rampart-upload-begin/v2|" + uploadId);
    } catch (SealedDataException e) {
      // an upload begun by a version before generations: its chunks are bound to the upload and number only
      plain = SealedFiles.readSmall(keys.aead(), begin, "rampart-upload-begin/v1|" + uploadId);
      generationBytes = 0;
    }
    int n = plain[0] & 0xff;
    if (1 + n + generationBytes > plain.length) {
      throw new SealedDataException("the upload record " + begin + " is cut short");
    }
    String owner = new String(plain, 1, n, StandardCharsets.US_ASCII);
    String generation = HexFormat.of().formatHex(plain, 1 + n, 1 + n + generationBytes);
    try {
      BeginUploadRequest r = BeginUploadRequest.parseFrom(
          Arrays.copyOfRange(plain, 1 + n + generationBytes, plain.length));
      return new DatasetStore.Upload(uploadId, owner, r, DatasetStore.chunkCount(r.getManifest().getCanonicalBytes()),
          generation);
    } catch (InvalidProtocolBufferException e) {
      throw new SealedDataException("the upload record " + begin + " does not parse");
    }
  }
}
