package dev.rampart.trainer;

import dev.rampart.datasets.CanonicalReader;
import dev.rampart.datasets.Header;
import dev.rampart.datasets.Row;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Labelled examples as a model reads them: {@link #features()} floats per example (pixels scaled to [0, 1] for
 * images), row-major, one example after the other, and a class label in [0, {@link #classes()}) each. Immutable.
 *
 * <p>{@link #rows()} × {@link #columns()} is the image shape when it is known (IDX files carry it); canonical
 * datasets carry no shape, so their examples are 1 × features until {@link #withShape} says otherwise.
 */
public final class LabeledExamples {
  /** Up to 65,535 classes, as canonical datasets allow. */
  public static final int MAX_CLASSES = 65_535;

  private final int count;
  private final int rows;
  private final int columns;
  private final float[] pixels;
  private final int[] labels;
  private final int classes;

  private LabeledExamples(int count, int rows, int columns, float[] pixels, int[] labels, int classes) {
    this.count = count;
    this.rows = rows;
    this.columns = columns;
    this.pixels = pixels;
    this.labels = labels;
    this.classes = classes;
  }

  /**
   * Labelled examples from arrays, which are taken as they are (not copied: the caller must not change them).
   *
   * @param pixels {@code count × features} model-facing values, example after example
   * @param labels {@code count} labels, each in [0, classes)
   * @throws IllegalArgumentException if a size is not positive, {@code classes} is outside 2..65535, an array
   *     has the wrong length, a value is not finite or a label is out of range (the message says which)
   */
  public static LabeledExamples of(int count, int features, float[] pixels, int[] labels, int classes) {
    Objects.requireNonNull(pixels, "pixels");
    Objects.requireNonNull(labels, "labels");
    if (count < 1 || features < 1) {
      throw new IllegalArgumentException("count and features must be at least 1, got " + count + " and " + features);
    }
    if (classes < 2 || classes > MAX_CLASSES) {
      throw new IllegalArgumentException("classes must be in 2.." + MAX_CLASSES + ", got " + classes);
    }
    if ((long) count * features != pixels.length) {
      throw new IllegalArgumentException(pixels.length + " values for " + count + " examples of " + features
          + " features: expected " + (long) count * features);
    }
    if (labels.length != count) {
      throw new IllegalArgumentException(labels.length + " labels for " + count + " examples");
    }
    for (int i = 0; i < count; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("label " + labels[i] + " of example " + i + " is not in [0, " + classes + ")");
      }
    }
    for (int i = 0; i < pixels.length; i++) {
      if (!Float.isFinite(pixels[i])) {
        throw new IllegalArgumentException("feature " + (i % features) + " of example " + (i / features) + " is "
            + pixels[i] + ": features must be finite");
      }
    }
    return new LabeledExamples(count, 1, features, pixels, labels, classes);
  }

  /**
   * Reads canonical datasets (see {@code dev.rampart.datasets.CanonicalFormat}) completely and returns their union:
   * the rows of the first, then of the second, and so on, with model-facing features ({@code Row.features()}:
   * UINT8 scaled by 1/255, FLOAT32 as stored). Each stream is read to its end, so every check of the format
   * (truncation, trailing bytes, labels, finite values) has passed, and whatever authenticates the stream as it
   * is read has seen all of it, before anything is returned: on any failure nothing is returned. The streams are
   * not closed.
   *
   * @param datasets one stream per dataset, at least one
   * @throws TrainingDataException if a dataset is malformed (the message names which, counting from 1), the
   *     datasets disagree on features or classes, or together they do not fit in memory
   * @throws IOException if a stream fails (e.g. its authentication): the whole input is then unusable
   */
  public static LabeledExamples readCanonical(List<InputStream> datasets) throws IOException {
    if (datasets.isEmpty()) {
      throw new IllegalArgumentException("at least one dataset is needed");
    }
    int features = -1;
    int classes = -1;
    dev.rampart.datasets.FeatureType type = null;
    float[] pixels = new float[0];
    int[] labels = new int[0];
    int count = 0;
    for (int d = 0; d < datasets.size(); d++) {
      String which = datasets.size() == 1 ? "the dataset" : "dataset " + (d + 1) + " of " + datasets.size();
      try {
        CanonicalReader reader = CanonicalReader.open(Objects.requireNonNull(datasets.get(d), "dataset stream"));
        Header header = reader.header();
        if (d == 0) {
          features = header.featureCount();
          classes = header.classCount();
          type = header.featureType();
        } else if (header.featureCount() != features || header.classCount() != classes
            || header.featureType() != type) {
          throw new TrainingDataException(which + " has " + header.featureCount() + " " + header.featureType()
              + " features and " + header.classCount() + " classes, but dataset 1 has " + features + " " + type
              + " features and " + classes + " classes: a model trains on datasets of one kind; convert them alike");
        }
        long total = count + header.rowCount();
        if (total * features > Integer.MAX_VALUE - 8) {
          throw new TrainingDataException("the datasets hold " + total + " examples of " + features
              + " features, more values than the trainer holds in memory (" + (Integer.MAX_VALUE - 8)
              + "): train on fewer or smaller datasets");
        }
        while (reader.hasNext()) {
          Row row = reader.next();
          if (count == labels.length) {
            // grow as rows actually arrive: the header alone is no reason to allocate gigabytes
            int capacity = (int) Math.min(total, Math.max(1024L, 2L * labels.length));
            labels = Arrays.copyOf(labels, capacity);
            pixels = Arrays.copyOf(pixels, capacity * features);
          }
          System.arraycopy(row.features(), 0, pixels, count * features, features);
          labels[count] = row.label();
          count++;
        }
      } catch (dev.rampart.datasets.DatasetFormatException e) {
        throw new TrainingDataException(which + ": " + e.getMessage(), e);
      }
    }
    return new LabeledExamples(count, 1, features, Arrays.copyOf(pixels, count * features), Arrays.copyOf(labels, count),
        classes);
  }

  /**
   * The same examples seen as {@code rows × columns} images (row-major), e.g. for a convolutional model.
   *
   * @throws IllegalArgumentException unless rows × columns = {@link #features()}
   */
  public LabeledExamples withShape(int rows, int columns) {
    if (rows < 1 || columns < 1 || (long) rows * columns != features()) {
      throw new IllegalArgumentException(rows + " × " + columns + " does not match " + features()
          + " features per example");
    }
    return new LabeledExamples(count, rows, columns, pixels, labels, classes);
  }

  public int count() {
    return count;
  }

  /** Image height; 1 when the shape is unknown. */
  public int rows() {
    return rows;
  }

  /** Image width; {@link #features()} when the shape is unknown. */
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

  /** The label of example {@code index}, in [0, {@link #classes()}). */
  public int label(int index) {
    return labels[index];
  }

  /** Feature {@code feature} of example {@code index} (for images: the pixel, in [0, 1]). */
  public float pixel(int index, int feature) {
    return pixels[index * features() + feature];
  }

  /** Copies example {@code index}'s features into {@code out} at {@code offset}. */
  public void copyPixels(int index, float[] out, int offset) {
    System.arraycopy(pixels, index * features(), out, offset, features());
  }

  /**
   * The first {@code n} examples, or all if there are fewer (for quick runs and tests).
   *
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public LabeledExamples head(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("head needs at least one example, got " + n);
    }
    int k = Math.min(n, count);
    float[] p = Arrays.copyOf(pixels, k * features());
    int[] l = Arrays.copyOf(labels, k);
    return new LabeledExamples(k, rows, columns, p, l, classes);
  }

  /** Mean feature value over all examples, in double (float sums drift over millions of values). */
  public double meanPixel() {
    double sum = 0;
    for (float p : pixels) {
      sum += p;
    }
    return sum / pixels.length;
  }
}
