package dev.rampart.protocol;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * What an owner signs to claim a dataset: the domain {@code "rampart-dataset/v1\0"} then the 32 bytes of the
 * dataset id (the SHA-256 of its canonical content). The domain keeps the signature from meaning anything else.
 */
public final class DatasetSignatures {
  private static final byte[] DOMAIN = "rampart-dataset/v1\0".getBytes(StandardCharsets.US_ASCII);

  private DatasetSignatures() {}

  public static byte[] signedBytes(String datasetIdHex) {
    byte[] id = HexFormat.of().parseHex(datasetIdHex);
    if (id.length != 32) {
      throw new IllegalArgumentException("a dataset id is 32 bytes (64 hex digits)");
    }
    byte[] out = new byte[DOMAIN.length + 32];
    System.arraycopy(DOMAIN, 0, out, 0, DOMAIN.length);
    System.arraycopy(id, 0, out, DOMAIN.length, 32);
    return out;
  }
}
