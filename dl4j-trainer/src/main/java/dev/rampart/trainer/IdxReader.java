package dev.rampart.trainer;

import dev.rampart.datasets.IdxSource;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Local IDX files (MNIST, Fashion-MNIST) as {@link LabeledExamples}, for {@code train-local} and benchmarks. The
 * parsing and every check are the datasets module's {@link IdxSource}: the files are converted to the canonical
 * format in memory and read back with {@link LabeledExamples#readCanonical}, so local runs see exactly the
 * features a coordinator would see for the same files. The image shape (which the canonical format does not
 * carry) is taken from the images file's header.
 */
public final class IdxReader {
  private IdxReader() {}

  /**
   * Reads {@code <prefix>-images-idx3-ubyte[.gz]} and {@code <prefix>-labels-idx1-ubyte[.gz]} from a directory,
   * e.g. prefix {@code train} or {@code t10k} for Fashion-MNIST.
   *
   * @param classes labels must be in [0, classes); 2..65535
   * @throws java.nio.file.NoSuchFileException if a file is missing
   * @throws TrainingDataException if a file is malformed, the counts differ or a label is out of range
   */
  public static LabeledExamples read(Path directory, String prefix, int classes) throws IOException {
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

  /**
   * Reads an IDX images file and its labels file (each gzipped or raw).
   *
   * @param classes labels must be in [0, classes); 2..65535
   * @throws TrainingDataException if a file is malformed, the counts differ or a label is out of range
   */
  public static LabeledExamples read(Path imagesFile, Path labelsFile, int classes) throws IOException {
    if (classes < 2 || classes > LabeledExamples.MAX_CLASSES) {
      throw new IllegalArgumentException("classes must be in [2, " + LabeledExamples.MAX_CLASSES + "], got " + classes);
    }
    Exposed canonical;
    try {
      IdxSource source = IdxSource.open(imagesFile, labelsFile, classes);
      long total = source.header().totalBytes();
      if (total > Integer.MAX_VALUE - 8) {
        throw new TrainingDataException(imagesFile + ": " + source.header().rowCount() + " images are too many to"
            + " hold in memory here; split the files");
      }
      canonical = new Exposed((int) Math.min(total, 1 << 26));
      source.writeCanonical(canonical);
    } catch (dev.rampart.datasets.DatasetFormatException e) {
      throw new TrainingDataException(e.getMessage(), e);
    }
    LabeledExamples flat = LabeledExamples.readCanonical(List.of(canonical.asInput()));
    int[] shape = imageShape(imagesFile);
    return flat.withShape(shape[0], shape[1]);
  }

  /** Rows and columns from an images file's header, which {@link IdxSource#open} has already checked. */
  private static int[] imageShape(Path imagesFile) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(imagesFile))) {
      raw.mark(2);
      boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
      raw.reset();
      DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(raw) : raw);
      in.readInt(); // magic
      in.readInt(); // count
      return new int[] {in.readInt(), in.readInt()};
    }
  }

  /** A byte buffer read back without a copy (the canonical form of a training set is tens of megabytes). */
  private static final class Exposed extends ByteArrayOutputStream {
    Exposed(int size) {
      super(size);
    }

    InputStream asInput() {
      return new ByteArrayInputStream(buf, 0, count);
    }
  }
}
