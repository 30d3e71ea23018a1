package dev.rampart.attestation;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Evidence bytes and the platform their content says they come from. Files may hold the raw bytes, or hex,
 * or base64 of them (the public samples come in all three).
 *
 * @param platform detected from the content: SNP reports by size and header, Nitro documents by their
 *     COSE_Sign1 CBOR array, TDX quotes by their header
 * @param bytes the raw evidence
 */
public record Evidence(Platform platform, byte[] bytes) {
  /** Larger than any real evidence (a TDX quote with its certification data is ~5 KB). */
  public static final int MAX_EVIDENCE_BYTES = 256 * 1024;

  static final int SNP_REPORT_SIZE = 0x4A0;

  public Evidence {
    bytes = bytes.clone();
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /**
   * Decodes a file's content (raw, hex or base64) and detects its platform.
   *
   * @throws EvidenceFormatException if it is too large, or not evidence of a known format
   */
  public static Evidence decode(byte[] content) throws EvidenceFormatException {
    if (content.length > MAX_EVIDENCE_BYTES * 2) {
      throw new EvidenceFormatException("evidence file is " + content.length + " bytes; real evidence is far smaller");
    }
    Platform raw = detect(content);
    if (raw != null) {
      return new Evidence(raw, content);
    }
    String text = new String(content, StandardCharsets.ISO_8859_1).strip();
    byte[] decoded = null;
    if (text.matches("(?s)[0-9a-fA-F\\s]+")) {
      String hex = text.replaceAll("\\s", "");
      if (hex.length() % 2 == 0) {
        decoded = HexFormat.of().parseHex(hex);
      }
    }
    if (decoded == null && text.matches("(?s)[A-Za-z0-9+/=_\\-\\s]+")) {
      try {
        String b64 = text.replaceAll("\\s", "");
        decoded = b64.contains("-") || b64.contains("_")
            ? Base64.getUrlDecoder().decode(b64)
            : Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        decoded = null;
      }
    }
    if (decoded != null) {
      Platform p = detect(decoded);
      if (p != null) {
        return new Evidence(p, decoded);
      }
    }
    throw new EvidenceFormatException("not evidence of a known format (raw, hex or base64 of an SEV-SNP report,"
        + " a Nitro attestation document or a TDX quote); " + content.length + " bytes");
  }

  private static Platform detect(byte[] b) {
    if (b.length == 0 || b.length > MAX_EVIDENCE_BYTES) {
      return null;
    }
    // Nitro: COSE_Sign1 is a CBOR array of 4, optionally behind tag 18 (0xD2)
    if ((b[0] & 0xFF) == 0x84 || ((b[0] & 0xFF) == 0xD2 && b.length > 1 && (b[1] & 0xFF) == 0x84)) {
      return Platform.NITRO;
    }
    if (b.length == SNP_REPORT_SIZE) {
      int version = u32(b, 0);
      int signatureAlgorithm = u32(b, 0x34);
      if (version >= 2 && version <= 5 && signatureAlgorithm == 1) {
        return Platform.SEV_SNP;
      }
    }
    if (b.length >= 48) {
      int version = (b[0] & 0xFF) | (b[1] & 0xFF) << 8;
      int teeType = u32(b, 4);
      if ((version == 4 || version == 5) && teeType == 0x81) {
        return Platform.TDX;
      }
    }
    return null;
  }

  static int u32(byte[] b, int offset) {
    return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8 | (b[offset + 2] & 0xFF) << 16
        | (b[offset + 3] & 0xFF) << 24;
  }
}
