package dev.rampart.trainer;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format: big-endian header, magic 0x00000803 for unsigned-byte
 * images, 0x00000801 for labels), gzipped or not. Every size in the header is checked against limits and
 * against the bytes actually present before anything large is allocated.
 */
public final class IdxReader {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;
  /** Far above any image dataset this trainer is meant for; a header claiming more is not trusted. */
  static final long MAX_PIXELS = 1L << 30;
  static final int MAX_DIMENSION = 4096;

  private IdxReader() {}

  /**
   * Reads {@code <prefix>-images-idx3-ubyte[.gz]} and {@code <prefix>-labels-idx1-ubyte[.gz]} from a directory,
   * e.g. prefix {@code train} or {@code t10k} for Fashion-MNIST.
   *
   * @param classes labels must be in [0, classes)
   * @throws DatasetFormatException if a file is malformed, the counts differ or a label is out of range
   */
  public static LabeledImages read(Path directory, String prefix, int classes) throws IOException {
    Path images = find(directory, prefix + "-images-idx3-ubyte");
    Path labels = find(directory, prefix + "-labels-idx1-ubyte");
    return read(images, labels, classes);
  }

  private static Path find(Path directory, String name) throws IOException {
    for (String candidate : new String[] {name + ".gz", name}) {
      Path p = directory.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new java.nio.file.NoSuchFileException(directory.resolve(name + ".gz").toString(), null,
        "neither " + name + ".gz nor " + name + " is in " + directory);
  }

  public static LabeledImages read(Path imagesFile, Path labelsFile, int classes) throws IOException {
    if (classes < 2 || classes > 256) {
      throw new IllegalArgumentException("classes must be in [2, 256], got " + classes);
    }
    try (DataInputStream images = open(imagesFile); DataInputStream labels = open(labelsFile)) {
      int magic = images.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new DatasetFormatException(imagesFile + ": not an IDX image file (magic 0x" + Integer.toHexString(magic)
            + ", expected 0x803: unsigned bytes, 3 dimensions)");
      }
      int count = images.readInt();
      int rows = images.readInt();
      int columns = images.readInt();
      if (count <= 0 || rows <= 0 || columns <= 0 || rows > MAX_DIMENSION || columns > MAX_DIMENSION
          || (long) count * rows * columns > MAX_PIXELS) {
        throw new DatasetFormatException(imagesFile + ": implausible header " + count + " x " + rows + " x " + columns);
      }
      int labelMagic = labels.readInt();
      if (labelMagic != LABELS_MAGIC) {
        throw new DatasetFormatException(labelsFile + ": not an IDX label file (magic 0x"
            + Integer.toHexString(labelMagic) + ", expected 0x801)");
      }
      int labelCount = labels.readInt();
      if (labelCount != count) {
        throw new DatasetFormatException(labelsFile + " has " + labelCount + " labels for " + count + " images");
      }
      int features = rows * columns;
      // grow as rows actually arrive: a 16-byte header must not make us allocate gigabytes
      float[] pixels = new float[Math.min(count, 4096) * features];
      byte[] row = new byte[features];
      for (int i = 0; i < count; i++) {
        images.readFully(row);
        if ((i + 1) * features > pixels.length) {
          pixels = java.util.Arrays.copyOf(pixels, (int) Math.min((long) count * features, 2L * pixels.length));
        }
        for (int f = 0; f < features; f++) {
          pixels[i * features + f] = (row[f] & 0xFF) / 255.0f;
        }
      }
      byte[] labelBytes = new byte[count];
      labels.readFully(labelBytes);
      for (int i = 0; i < count; i++) {
        int label = labelBytes[i] & 0xFF;
        if (label >= classes) {
          throw new DatasetFormatException(labelsFile + ": label " + label + " of example " + i + " is not in [0, "
              + classes + ")");
        }
      }
      if (images.read() != -1 || labels.read() != -1) {
        throw new DatasetFormatException(imagesFile + " or " + labelsFile + " has bytes after its declared content");
      }
      return new LabeledImages(count, rows, columns, pixels, labelBytes, classes);
    } catch (EOFException e) {
      throw new DatasetFormatException(imagesFile + " or " + labelsFile + " is truncated");
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
    }
    return new DataInputStream(in);
  }
}
