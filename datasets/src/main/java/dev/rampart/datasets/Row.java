package dev.rampart.datasets;

/**
 * One record of a canonical dataset: its features and its label. Immutable; the array accessors return copies.
 *
 * <p>Features come in two forms. {@link #rawFeatures()} are the stored values (UINT8: 0..255 as floats;
 * FLOAT32: as stored). {@link #features()} are what a model should be fed: UINT8 scaled to [0, 1] by
 * {@link FeatureType#scale}, FLOAT32 unchanged.
 */
public final class Row {
  private final long index;
  private final FeatureType type;
  private final float[] raw;
  private final int label;

  /** Takes ownership of {@code raw}: callers pass a fresh array. */
  Row(long index, FeatureType type, float[] raw, int label) {
    this.index = index;
    this.type = type;
    this.raw = raw;
    this.label = label;
  }

  /** 0-based index of this record in its dataset. */
  public long index() {
    return index;
  }

  /** The label, in [0, classCount). */
  public int label() {
    return label;
  }

  public int featureCount() {
    return raw.length;
  }

  /** The stored value of feature {@code i} (0-based). */
  public float rawFeature(int i) {
    return raw[i];
  }

  /** The model-facing value of feature {@code i} (0-based): see {@link FeatureType#scale}. */
  public float feature(int i) {
    return type.scale(raw[i]);
  }

  /** A copy of the stored values. */
  public float[] rawFeatures() {
    return raw.clone();
  }

  /** The model-facing values, in a new array: UINT8 scaled by 1/255, FLOAT32 as stored. */
  public float[] features() {
    float[] out = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      out[i] = type.scale(raw[i]);
    }
    return out;
  }
}
