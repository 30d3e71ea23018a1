package dev.rampart.datasets;

import dev.rampart.datasets.internal.Digests;

/**
 * What is known about a complete, valid canonical dataset: its header, the SHA-256 of all its bytes (header
 * included: this is the dataset id) and how many records carry each label. Immutable.
 */
public final class Summary {
  private final Header header;
  private final byte[] sha256;
  private final long[] classCounts;

  Summary(Header header, byte[] sha256, long[] classCounts) {
    this.header = header;
    this.sha256 = sha256.clone();
    this.classCounts = classCounts.clone();
  }

  public Header header() {
    return header;
  }

  /** SHA-256 of the canonical bytes, 32 bytes (a copy). */
  public byte[] sha256() {
    return sha256.clone();
  }

  /** SHA-256 of the canonical bytes as 64 lower-case hex digits. */
  public String sha256Hex() {
    return Digests.hex(sha256);
  }

  /** Records per label: element {@code k} counts label {@code k}; length classCount (a copy). */
  public long[] classCounts() {
    return classCounts.clone();
  }

  @Override
  public String toString() {
    return "Summary[" + header + ", sha256=" + sha256Hex() + "]";
  }
}
