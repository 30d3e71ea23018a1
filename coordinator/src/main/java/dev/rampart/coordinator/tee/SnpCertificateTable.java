package dev.rampart.coordinator.tee;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SEV-SNP extended-report certificate table (GHCB specification, "SNP Extended Guest Request"): entries of
 * a 16-byte GUID, a 4-byte offset and a 4-byte length (little-endian), ended by an all-zero entry; offsets count
 * from the start of the table.
 */
final class SnpCertificateTable {
  // EFI binary GUID layout (first three fields little-endian) of 63da758d-e664-4564-adc5-f4b93be8accd (VCEK)
  // and a8074bc2-a25a-483e-aae6-39c045a0b8a1 (VLEK)
  private static final byte[] VCEK = guid("63da758d-e664-4564-adc5-f4b93be8accd");
  private static final byte[] VLEK = guid("a8074bc2-a25a-483e-aae6-39c045a0b8a1");

  private SnpCertificateTable() {}

  static byte[] guid(String text) {
    byte[] b = HexFormat.of().parseHex(text.replace("-", ""));
    reverse(b, 0, 4);
    reverse(b, 4, 2);
    reverse(b, 6, 2);
    return b;
  }

  private static void reverse(byte[] b, int from, int length) {
    for (int i = 0; i < length / 2; i++) {
      byte t = b[from + i];
      b[from + i] = b[from + length - 1 - i];
      b[from + length - 1 - i] = t;
    }
  }

  /** The VCEK (or else VLEK) certificate DER from a table. */
  static byte[] endorsementKey(byte[] table) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
    byte[] vlek = null;
    for (int pos = 0; pos + 24 <= table.length; pos += 24) {
      byte[] guid = Arrays.copyOfRange(table, pos, pos + 16);
      long offset = Integer.toUnsignedLong(b.getInt(pos + 16));
      long length = Integer.toUnsignedLong(b.getInt(pos + 20));
      if (Arrays.equals(guid, new byte[16])) {
        break;
      }
      if (offset + length > table.length || length == 0) {
        throw new IOException("the SNP certificate table has an entry outside it (offset " + offset + ", length "
            + length + ", table " + table.length + " bytes)");
      }
      byte[] cert = Arrays.copyOfRange(table, (int) offset, (int) (offset + length));
      if (Arrays.equals(guid, VCEK)) {
        return cert;
      }
      if (Arrays.equals(guid, VLEK)) {
        vlek = cert;
      }
    }
    if (vlek == null) {
      throw new IOException("the SNP certificate table holds neither a VCEK nor a VLEK");
    }
    return vlek;
  }
}
