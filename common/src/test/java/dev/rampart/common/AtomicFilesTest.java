package dev.rampart.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private long temporaries() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(AtomicFiles.TMP_SUFFIX)).count();
    }
  }

  @Test
  void writesAndReplacesWhole_leavingNoTemporaryFile() throws Exception {
    Path f = dir.resolve("state.json");
    AtomicFiles.write(f, "one".getBytes(StandardCharsets.UTF_8));
    assertThat(Files.readString(f)).isEqualTo("one");
    AtomicFiles.write(f, "two, longer".getBytes(StandardCharsets.UTF_8));
    assertThat(Files.readString(f)).isEqualTo("two, longer");
    assertThat(temporaries()).isZero();
  }

  @Test
  void aWriterThatFailsHalfway_leavesTheOldFileAndNoTemporaryFile() throws Exception {
    Path f = dir.resolve("model.sealed");
    AtomicFiles.write(f, "the old model".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> AtomicFiles.write(f, false, out -> {
      out.write(new byte[100_000]); // beyond the buffer: some of it reached the temporary file
      throw new IOException("the disk is full");
    })).hasMessage("the disk is full");
    assertThat(Files.readString(f)).isEqualTo("the old model");
    assertThat(temporaries()).isZero();
    assertThatThrownBy(() -> AtomicFiles.write(f, false, out -> {
      throw new IllegalStateException("a bug in the writer");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(Files.readString(f)).isEqualTo("the old model");
    assertThat(temporaries()).isZero();
  }

  @Test
  void ownerOnly_isMode0600FromTheStart() throws Exception {
    Path key = dir.resolve("key.pem");
    AtomicFiles.write(key, true, out -> {
      // while the secret is being written, the temporary file already admits nobody else
      try (Stream<Path> files = Files.list(dir)) {
        Path tmp = files.filter(p -> p.getFileName().toString().endsWith(AtomicFiles.TMP_SUFFIX)).findFirst()
            .orElseThrow();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp))).isEqualTo("rw-------");
      }
      out.write("secret".getBytes(StandardCharsets.US_ASCII));
    });
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(Files.readString(key)).isEqualTo("secret");
  }

  @Test
  void aMissingDirectory_isAnErrorNamingIt() {
    Path f = dir.resolve("absent").resolve("f");
    assertThatThrownBy(() -> AtomicFiles.write(f, new byte[1])).isInstanceOf(IOException.class);
  }
}
