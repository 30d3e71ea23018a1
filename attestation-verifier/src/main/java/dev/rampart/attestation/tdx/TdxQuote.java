package dev.rampart.attestation.tdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An Intel TDX DCAP quote, versions 4 and 5 (Intel TDX DCAP Quoting Library API, appendix A): header, TD report
 * body (TDX 1.0, or 1.5 in v5), the ECDSA P-256 quote signature, the attestation key, and the certification
 * data: the QE report, its signature, the QE authentication data and the PCK certificate chain. Every length
 * read from the quote is checked against the bytes present. Immutable.
 */
final class TdxQuote {
  static final int HEADER_SIZE = 48;
  static final int TD10_BODY_SIZE = 584;
  static final int TD15_BODY_SIZE = 648;
  static final int QE_REPORT_SIZE = 384;

  final int version;
  final byte[] signedBytes; // header ‖ body
  final byte[] body;
  final byte[] signature; // r ‖ s, 32 bytes each, big-endian
  final byte[] attestationKey; // x ‖ y
  final byte[] qeReport;
  final byte[] qeReportSignature;
  final byte[] qeAuthData;
  final byte[] pckChainPem;

  private TdxQuote(int version, byte[] signedBytes, byte[] body, byte[] signature, byte[] attestationKey,
      byte[] qeReport, byte[] qeReportSignature, byte[] qeAuthData, byte[] pckChainPem) {
    this.version = version;
    this.signedBytes = signedBytes;
    this.body = body;
    this.signature = signature;
    this.attestationKey = attestationKey;
    this.qeReport = qeReport;
    this.qeReportSignature = qeReportSignature;
    this.qeAuthData = qeAuthData;
    this.pckChainPem = pckChainPem;
  }

  /** @throws IllegalArgumentException naming what is wrong */
  static TdxQuote parse(byte[] q) {
    Reader r = new Reader(q);
    int version = r.u16();
    int keyType = r.u16();
    long teeType = r.u32();
    if (version != 4 && version != 5) {
      throw new IllegalArgumentException("TDX quote version " + version + " is not supported (4 or 5)");
    }
    if (keyType != 2) {
      throw new IllegalArgumentException("TDX attestation key type " + keyType + " is not ECDSA P-256 (2)");
    }
    if (teeType != 0x81) {
      throw new IllegalArgumentException("TEE type 0x" + Long.toHexString(teeType) + " is not TDX (0x81)");
    }
    r.skip(HEADER_SIZE - 8);
    int bodySize = TD10_BODY_SIZE;
    if (version == 5) {
      int bodyType = r.u16();
      bodySize = (int) r.u32();
      if (!(bodyType == 2 && bodySize == TD10_BODY_SIZE || bodyType == 3 && bodySize == TD15_BODY_SIZE)) {
        throw new IllegalArgumentException("TDX v5 body type " + bodyType + " of " + bodySize + " bytes is not a TD"
            + " report (type 2: 584 bytes, type 3: 648 bytes)");
      }
    }
    byte[] body = r.bytes(bodySize);
    byte[] signed = Arrays.copyOfRange(q, 0, r.position());
    long signatureDataSize = r.u32();
    if (signatureDataSize > r.remaining()) {
      throw new IllegalArgumentException("TDX signature data claims " + signatureDataSize + " bytes, "
          + r.remaining() + " present");
    }
    byte[] signature = r.bytes(64);
    byte[] attestationKey = r.bytes(64);
    int certType = r.u16();
    long certSize = r.u32();
    if (certType != 6) {
      throw new IllegalArgumentException("TDX certification data type " + certType + " is not QE report data (6)");
    }
    if (certSize > r.remaining()) {
      throw new IllegalArgumentException("TDX certification data claims " + certSize + " bytes");
    }
    byte[] qeReport = r.bytes(QE_REPORT_SIZE);
    byte[] qeReportSignature = r.bytes(64);
    int authSize = r.u16();
    byte[] qeAuthData = r.bytes(authSize);
    int innerType = r.u16();
    long innerSize = r.u32();
    if (innerType != 5) {
      throw new IllegalArgumentException("TDX QE certification data type " + innerType
          + " is not a PCK certificate chain (5)");
    }
    if (innerSize > r.remaining()) {
      throw new IllegalArgumentException("TDX PCK chain claims " + innerSize + " bytes, " + r.remaining()
          + " present");
    }
    byte[] chain = r.bytes((int) innerSize);
    return new TdxQuote(version, signed, body, signature, attestationKey, qeReport, qeReportSignature,
        qeAuthData, trimNul(chain));
  }

  private static byte[] trimNul(byte[] b) {
    int n = b.length;
    while (n > 0 && b[n - 1] == 0) {
      n--;
    }
    return Arrays.copyOf(b, n);
  }

  byte[] teeTcbSvn() {
    return Arrays.copyOfRange(body, 0, 16);
  }

  byte[] mrSignerSeam() {
    return Arrays.copyOfRange(body, 64, 112);
  }

  byte[] seamAttributes() {
    return Arrays.copyOfRange(body, 112, 120);
  }

  long tdAttributes() {
    return ByteBuffer.wrap(body, 120, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  byte[] mrTd() {
    return Arrays.copyOfRange(body, 136, 184);
  }

  /**
   * The launch measurement a policy pins: SHA-384 over the TD report's MRTD, MRCONFIGID, MROWNER,
   * MROWNERCONFIG and RTMR0-3 (bytes 136 to 519). MRTD alone measures only the virtual firmware: anyone could
   * boot their own kernel and application on the same firmware; the RTMRs measure those.
   */
  byte[] launchMeasurement() {
    try {
      java.security.MessageDigest sha384 = java.security.MessageDigest.getInstance("SHA-384");
      sha384.update(body, 136, 520 - 136);
      return sha384.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  byte[] reportData() {
    return Arrays.copyOfRange(body, 520, 584);
  }

  /** QE report (an SGX report body) fields. */
  int qeMiscSelect() {
    return ByteBuffer.wrap(qeReport, 16, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  byte[] qeAttributes() {
    return Arrays.copyOfRange(qeReport, 48, 64);
  }

  byte[] qeMrSigner() {
    return Arrays.copyOfRange(qeReport, 128, 160);
  }

  int qeIsvProdId() {
    return ByteBuffer.wrap(qeReport, 256, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
  }

  int qeIsvSvn() {
    return ByteBuffer.wrap(qeReport, 258, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
  }

  byte[] qeReportData() {
    return Arrays.copyOfRange(qeReport, 320, 384);
  }

  /** Bounds-checked little-endian reads: a claimed length past the end is an error, never an allocation. */
  private static final class Reader {
    private final ByteBuffer b;

    Reader(byte[] bytes) {
      this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void need(long n) {
      if (n < 0 || n > b.remaining()) {
        throw new IllegalArgumentException("TDX quote truncated: needs " + n + " more bytes at offset "
            + b.position() + ", " + b.remaining() + " left");
      }
    }

    int u16() {
      need(2);
      return b.getShort() & 0xFFFF;
    }

    long u32() {
      need(4);
      return b.getInt() & 0xFFFFFFFFL;
    }

    byte[] bytes(int n) {
      need(n);
      byte[] out = new byte[n];
      b.get(out);
      return out;
    }

    void skip(int n) {
      need(n);
      b.position(b.position() + n);
    }

    int position() {
      return b.position();
    }

    int remaining() {
      return b.remaining();
    }
  }
}
