package dev.rampart.attestation.snp;

import java.util.Arrays;

/**
 * An AMD SEV-SNP attestation report (SEV-SNP Firmware ABI, "ATTESTATION_REPORT"): 0x4A0 bytes, little-endian.
 * Versions 2 and 3 are parsed; the v5 layout (mitigation vectors in the reserved area) is accepted, its extra
 * fields unused. Immutable.
 */
public final class SnpReport {
  public static final int SIZE = 0x4A0;
  /** The signature covers bytes 0x000 to 0x29F. */
  public static final int SIGNED_LENGTH = 0x2A0;
  /** Guest policy bit 19: the guest may be debugged by the host. */
  public static final long POLICY_DEBUG = 1L << 19;

  private final byte[] raw;

  private SnpReport(byte[] raw) {
    this.raw = raw;
  }

  /** @throws IllegalArgumentException if the size, version or signature algorithm is wrong */
  public static SnpReport parse(byte[] bytes) {
    if (bytes.length != SIZE) {
      throw new IllegalArgumentException("an SEV-SNP report is " + SIZE + " bytes, got " + bytes.length);
    }
    SnpReport r = new SnpReport(bytes.clone());
    if (r.version() < 2 || r.version() > 5) {
      throw new IllegalArgumentException("SEV-SNP report version " + r.version() + " is not supported (2 to 5)");
    }
    if (r.signatureAlgorithm() != 1) {
      throw new IllegalArgumentException("SEV-SNP signature algorithm " + r.signatureAlgorithm()
          + " is not ECDSA P-384 with SHA-384 (1)");
    }
    return r;
  }

  public int version() {
    return u32(0x00);
  }

  public int guestSvn() {
    return u32(0x04);
  }

  public long policy() {
    return u64(0x08);
  }

  public boolean debugAllowed() {
    return (policy() & POLICY_DEBUG) != 0;
  }

  public int vmpl() {
    return u32(0x30);
  }

  public int signatureAlgorithm() {
    return u32(0x34);
  }

  public long currentTcb() {
    return u64(0x38);
  }

  /** Bit 1 of the key-info word: the chip id was masked to zeros by the guest policy. */
  public boolean chipIdMasked() {
    return (u32(0x48) & 0b10) != 0;
  }

  /** The key that signed the report: 0 VCEK, 1 VLEK, 7 none. */
  public int signingKey() {
    return (u32(0x48) >>> 2) & 0b111;
  }

  public byte[] reportData() {
    return slice(0x50, 64);
  }

  public byte[] measurement() {
    return slice(0x90, 48);
  }

  public byte[] hostData() {
    return slice(0xC0, 32);
  }

  public byte[] idKeyDigest() {
    return slice(0xE0, 48);
  }

  public long reportedTcb() {
    return u64(0x180);
  }

  /** CPUID family (v3+; 0 in v2 reports). */
  public int cpuidFamily() {
    return version() >= 3 ? raw[0x188] & 0xFF : 0;
  }

  /** CPUID model (v3+; 0 in v2 reports). */
  public int cpuidModel() {
    return version() >= 3 ? raw[0x189] & 0xFF : 0;
  }

  public byte[] chipId() {
    return slice(0x1A0, 64);
  }

  public byte[] signedBytes() {
    return slice(0, SIGNED_LENGTH);
  }

  /** Signature R, 72 bytes little-endian. */
  public byte[] signatureR() {
    return slice(0x2A0, 72);
  }

  /** Signature S, 72 bytes little-endian. */
  public byte[] signatureS() {
    return slice(0x2A0 + 72, 72);
  }

  public byte[] toBytes() {
    return raw.clone();
  }

  private byte[] slice(int offset, int length) {
    return Arrays.copyOfRange(raw, offset, offset + length);
  }

  private int u32(int offset) {
    return (raw[offset] & 0xFF) | (raw[offset + 1] & 0xFF) << 8 | (raw[offset + 2] & 0xFF) << 16
        | (raw[offset + 3] & 0xFF) << 24;
  }

  private long u64(int offset) {
    return (u32(offset) & 0xFFFFFFFFL) | ((long) u32(offset + 4)) << 32;
  }
}
