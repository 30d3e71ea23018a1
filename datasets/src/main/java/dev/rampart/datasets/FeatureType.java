package dev.rampart.datasets;

/**
 * How one feature is stored in the canonical format.
 *
 * <p>The {@linkplain #code() code} is the byte at offset 8 of the canonical header; it never changes for a
 * given type, because dataset ids (SHA-256 of the canonical bytes) depend on it.
 */
public enum FeatureType {
  /** One unsigned byte per feature, raw values 0..255 (images). */
  UINT8(1, 1),
  /** IEEE-754 binary32, big-endian, 4 bytes per feature; always finite. */
  FLOAT32(2, 4);

  private final int code;
  private final int bytesPerFeature;

  FeatureType(int code, int bytesPerFeature) {
    this.code = code;
    this.bytesPerFeature = bytesPerFeature;
  }

  /** The header byte that names this type. */
  public int code() {
    return code;
  }

  /** Bytes one feature takes in a record. */
  public int bytesPerFeature() {
    return bytesPerFeature;
  }

  /**
   * The value a model should see for a stored (raw) value. UINT8 is scaled to [0, 1] by the float32 division
   * {@code raw / 255.0f} (so 0 → 0.0, 255 → 1.0); FLOAT32 is returned unchanged. The division is pinned here,
   * in one place, so that every consumer of a dataset sees bit-identical inputs.
   */
  public float scale(float raw) {
    return this == UINT8 ? raw / 255.0f : raw;
  }

  /** The type a header byte names, or {@code null} if the byte names none (the caller reports it). */
  static FeatureType fromCode(int code) {
    for (FeatureType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
