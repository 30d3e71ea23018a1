package dev.rampart.datasets;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/** Small datasets shared by the tests, with their bytes written out by hand. */
final class TestData {
  /** UINT8, 2 features, 3 classes, 2 rows: [1, 255] → 2 and [0, 16] → 0. */
  static final String TINY_UINT8_HEX = "52414d5044533031" + "01" + "000000" + "00000002" + "00000003"
      + "0000000000000002" + "01ff" + "00000002" + "0010" + "00000000";
  /** SHA-256 of {@link #TINY_UINT8_HEX}, computed outside Java (sha256sum). */
  static final String TINY_UINT8_SHA256 = "1228ea575ef2bd734f41cc76c894acc8a79d3209a4891bc60a835afa6f8c3cfc";

  /** FLOAT32, 2 features, 2 classes, 1 row: [1.0, -2.5] → 1. */
  static final String TINY_FLOAT32_HEX = "52414d5044533031" + "02" + "000000" + "00000002" + "00000002"
      + "0000000000000001" + "3f800000" + "c0200000" + "00000001";
  /** SHA-256 of {@link #TINY_FLOAT32_HEX}, computed outside Java (sha256sum). */
  static final String TINY_FLOAT32_SHA256 = "d7eab4d72bfa49888337d8df819aa1e87b878d81f01f64ad8b5f9e6dbc844e71";

  private TestData() {}

  static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  static byte[] tinyUint8() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(FeatureType.UINT8, 2, 3, 2));
    w.writeRow(new float[] {1, 255}, 2);
    w.writeRow(new float[] {0, 16}, 0);
    w.finish();
    return out.toByteArray();
  }

  static byte[] tinyFloat32() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(FeatureType.FLOAT32, 2, 2, 1));
    w.writeRow(new float[] {1.0f, -2.5f}, 1);
    w.finish();
    return out.toByteArray();
  }

  /** A canonical header from raw field values, bypassing every check (for malformed-input tests). */
  static byte[] rawHeader(int typeCode, int featureCount, int classCount, long rowCount) {
    return java.nio.ByteBuffer.allocate(CanonicalFormat.HEADER_BYTES)
        .put("RAMPDS01".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .put((byte) typeCode).put(new byte[3])
        .putInt(featureCount).putInt(classCount).putLong(rowCount)
        .array();
  }
}
