package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  /** The Debian package dataset-fashion-mnist (.ci/run installs it). */
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir Path dir;

  @Test
  void fashionMnist_loadsWithThePublishedMeanPixel() throws IOException {
    LabeledExamples train = IdxReader.read(FASHION, "train", 10);
    assertThat(train.count()).isEqualTo(60_000);
    assertThat(train.rows()).isEqualTo(28);
    assertThat(train.columns()).isEqualTo(28);
    assertThat(train.meanPixel()).isCloseTo(0.286041, within(5e-7));
    LabeledExamples test = IdxReader.read(FASHION, "t10k", 10);
    assertThat(test.count()).isEqualTo(10_000);
  }

  private static byte[] images(int magic, int count, int rows, int cols, int bytes) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeInt(magic);
    d.writeInt(count);
    d.writeInt(rows);
    d.writeInt(cols);
    d.write(new byte[bytes]);
    return b.toByteArray();
  }

  private static byte[] labels(int magic, byte... values) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeInt(magic);
    d.writeInt(values.length);
    d.write(values);
    return b.toByteArray();
  }

  private LabeledExamples read(byte[] images, byte[] labels) throws IOException {
    Path i = dir.resolve("x-images-idx3-ubyte");
    Path l = dir.resolve("x-labels-idx1-ubyte");
    Files.write(i, images);
    Files.write(l, labels);
    return IdxReader.read(dir, "x", 10);
  }

  @Test
  void smallValidFile_reads() throws IOException {
    LabeledExamples d = read(images(0x803, 2, 2, 2, 8), labels(0x801, (byte) 3, (byte) 9));
    assertThat(d.count()).isEqualTo(2);
    assertThat(d.label(1)).isEqualTo(9);
  }

  /** The checks are the datasets module's ({@code IdxSource}); these pin that they reach the trainer typed. */
  @Test
  void malformedFiles_giveTypedErrorsNamingTheProblem() throws IOException {
    assertThatThrownBy(() -> read(images(0x801, 2, 2, 2, 8), labels(0x801, (byte) 1, (byte) 2)))
        .isInstanceOf(TrainingDataException.class).hasMessageContaining("magic is 0x00000801");
    assertThatThrownBy(() -> read(images(0x803, 2, 2, 2, 5), labels(0x801, (byte) 1, (byte) 2)))
        .isInstanceOf(TrainingDataException.class).hasMessageContaining("cut short");
    assertThatThrownBy(() -> read(images(0x803, 2, 2, 2, 8), labels(0x801, (byte) 1)))
        .isInstanceOf(TrainingDataException.class).hasMessageContaining("has 2 images but")
        .hasMessageContaining("has 1 labels");
    assertThatThrownBy(() -> read(images(0x803, 2, 2, 2, 8), labels(0x801, (byte) 1, (byte) 12)))
        .isInstanceOf(TrainingDataException.class).hasMessageContaining("is 12, outside [0, 10)");
    assertThatThrownBy(() -> read(images(0x803, 1, 4096, 4096, 0), labels(0x801, (byte) 1)))
        .isInstanceOf(TrainingDataException.class).hasMessageContaining("featureCount 16777216");
    assertThatThrownBy(() -> read(images(0x803, 1, 2, 2, 5), labels(0x801, (byte) 1)))
        .isInstanceOf(TrainingDataException.class).hasMessageContaining("goes on after");
  }

  @Test
  void upTo65535Classes_areAccepted() throws IOException {
    Path i = dir.resolve("y-images-idx3-ubyte");
    Path l = dir.resolve("y-labels-idx1-ubyte");
    Files.write(i, images(0x803, 1, 1, 1, 1));
    Files.write(l, labels(0x801, (byte) 255));
    assertThat(IdxReader.read(i, l, 65_535).label(0)).isEqualTo(255);
  }
}
