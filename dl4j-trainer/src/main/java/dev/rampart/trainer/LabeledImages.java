package dev.rampart.trainer;

/**
 * Images with class labels, as a model reads them: pixels scaled to [0, 1], row-major, one image after the
 * other. Immutable.
 */
public final class LabeledImages {
  private final int count;
  private final int rows;
  private final int columns;
  private final float[] pixels;
  private final byte[] labels;
  private final int classes;

  LabeledImages(int count, int rows, int columns, float[] pixels, byte[] labels, int classes) {
    this.count = count;
    this.rows = rows;
    this.columns = columns;
    this.pixels = pixels;
    this.labels = labels;
    this.classes = classes;
  }

  public int count() {
    return count;
  }

  public int rows() {
    return rows;
  }

  public int columns() {
    return columns;
  }

  /** Features per example: rows × columns. */
  public int features() {
    return rows * columns;
  }

  public int classes() {
    return classes;
  }

  public int label(int index) {
    return labels[index];
  }

  /** Pixel {@code feature} of example {@code index}, in [0, 1]. */
  public float pixel(int index, int feature) {
    return pixels[index * features() + feature];
  }

  /** Copies example {@code index}'s pixels into {@code out} at {@code offset}. */
  public void copyPixels(int index, float[] out, int offset) {
    System.arraycopy(pixels, index * features(), out, offset, features());
  }

  /** The first {@code n} examples (for quick runs and tests). */
  public LabeledImages head(int n) {
    int k = Math.min(n, count);
    float[] p = java.util.Arrays.copyOf(pixels, k * features());
    byte[] l = java.util.Arrays.copyOf(labels, k);
    return new LabeledImages(k, rows, columns, p, l, classes);
  }

  /** Mean pixel over all examples, in double (float sums drift over millions of values). */
  public double meanPixel() {
    double sum = 0;
    for (float p : pixels) {
      sum += p;
    }
    return sum / pixels.length;
  }
}
