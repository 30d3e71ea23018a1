package dev.rampart.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rampart.client.ModelIntegrityException;
import dev.rampart.protocol.v1.FetchModelResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDownloadTest {
  @TempDir Path dir;

  private static final byte[] MODEL = new byte[5000];

  static {
    new Random(1).nextBytes(MODEL);
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  private static FetchModelResponse piece(byte[] model, byte[] sha, int from, int to) {
    return FetchModelResponse.newBuilder().setReleased(true).setTotalBytes(model.length)
        .setModelSha256(ByteString.copyFrom(sha)).setModel(ByteString.copyFrom(model, from, to - from)).build();
  }

  /** Downloads MODEL in pieces of {@code size}, as a client loop would. */
  private String download(Path out, byte[] declaredSha, int size) throws IOException {
    try (ModelDownload d = ModelDownload.start(out, piece(MODEL, declaredSha, 0, Math.min(size, MODEL.length)))) {
      while (!d.complete()) {
        int from = (int) d.offset();
        d.append(piece(MODEL, declaredSha, from, Math.min(from + size, MODEL.length)));
      }
      return d.commit();
    }
  }

  private long filesIn(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    }
  }

  @Test
  void piecesThatAddUp_areWrittenToTheDestination_only() throws Exception {
    Path out = dir.resolve("model.bin");
    String hex = download(out, sha256(MODEL), 1024);
    assertThat(Files.readAllBytes(out)).isEqualTo(MODEL);
    assertThat(hex).isEqualTo(HexFormat.of().formatHex(sha256(MODEL)));
    assertThat(filesIn(dir)).isEqualTo(1); // no temporary file left
    assertThat(Files.getPosixFilePermissions(out)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void aSinglePiece_isEnough() throws Exception {
    Path out = dir.resolve("model.bin");
    download(out, sha256(MODEL), MODEL.length);
    assertThat(Files.readAllBytes(out)).isEqualTo(MODEL);
  }

  @Test
  void anExistingFile_isReplacedWhole() throws Exception {
    Path out = dir.resolve("model.bin");
    Files.writeString(out, "an older model");
    download(out, sha256(MODEL), 777);
    assertThat(Files.readAllBytes(out)).isEqualTo(MODEL);
  }

  @Test
  void wrongDigest_writesNothing_andLeavesAnOldFileAlone() throws Exception {
    Path out = dir.resolve("model.bin");
    Files.writeString(out, "an older model");
    byte[] wrong = sha256("something else".getBytes());
    assertThatThrownBy(() -> download(out, wrong, 1024)).isInstanceOf(ModelIntegrityException.class)
        .hasMessageContaining("SHA-256 is " + HexFormat.of().formatHex(sha256(MODEL)))
        .hasMessageContaining("nothing was written");
    assertThat(Files.readString(out)).isEqualTo("an older model");
    assertThat(filesIn(dir)).isEqualTo(1);
  }

  @Test
  void aPieceOfAnotherModel_isRefused() throws Exception {
    Path out = dir.resolve("model.bin");
    byte[] sha = sha256(MODEL);
    byte[] other = Arrays.copyOf(MODEL, MODEL.length + 1);
    ModelDownload d = ModelDownload.start(out, piece(MODEL, sha, 0, 100));
    try (d) {
      assertThatThrownBy(() -> d.append(piece(other, sha, 100, 200))).isInstanceOf(ModelIntegrityException.class)
          .hasMessageContaining("changed during the download");
      assertThatThrownBy(() -> d.append(piece(MODEL, sha256(other), 100, 200)))
          .isInstanceOf(ModelIntegrityException.class);
    }
    assertThat(Files.exists(d.temporaryFile())).isFalse();
    assertThat(Files.exists(out)).isFalse();
  }

  @Test
  void emptyOrOverlongPieces_andWithdrawnReleases_areRefused() throws Exception {
    byte[] sha = sha256(MODEL);
    try (ModelDownload d = ModelDownload.start(dir.resolve("m"), piece(MODEL, sha, 0, 4000))) {
      assertThatThrownBy(() -> d.append(piece(MODEL, sha, 4000, 4000))).hasMessageContaining("empty piece");
      FetchModelResponse tooLong = piece(MODEL, sha, 4000, 5000).toBuilder()
          .setModel(ByteString.copyFrom(new byte[1001])).build();
      assertThatThrownBy(() -> d.append(tooLong)).hasMessageContaining("more than is left");
      FetchModelResponse withdrawn = FetchModelResponse.newBuilder().setReleased(false).build();
      assertThatThrownBy(() -> d.append(withdrawn)).isInstanceOf(ModelIntegrityException.class)
          .hasMessageContaining("stopped releasing");
    }
    assertThat(filesIn(dir)).isZero();
  }

  @Test
  void commitBeforeTheLastPiece_writesNothing() throws Exception {
    Path out = dir.resolve("model.bin");
    try (ModelDownload d = ModelDownload.start(out, piece(MODEL, sha256(MODEL), 0, 10))) {
      assertThatThrownBy(d::commit).isInstanceOf(ModelIntegrityException.class)
          .hasMessageContaining("stopped at byte 10 of 5000");
    }
    assertThat(filesIn(dir)).isZero();
  }

  @Test
  void aFirstAnswerThatIsNotAUsableRelease_isRefusedBeforeAnyFileExists() {
    Path out = dir.resolve("model.bin");
    assertThatThrownBy(() -> ModelDownload.start(out, FetchModelResponse.newBuilder().setReleased(true)
        .setModelSha256(ByteString.copyFrom(new byte[32])).build())).isInstanceOf(ModelIntegrityException.class)
        .hasMessageContaining("never empty");
    assertThatThrownBy(() -> ModelDownload.start(out, FetchModelResponse.newBuilder().setReleased(true)
        .setTotalBytes(3).setModelSha256(ByteString.copyFrom(new byte[20])).build()))
        .hasMessageContaining("instead of 32");
    assertThatThrownBy(() -> ModelDownload.start(out, FetchModelResponse.newBuilder().setReleased(false).build()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDestinationInAMissingDirectoryOrADirectory_isRefused() throws Exception {
    byte[] sha = sha256(MODEL);
    assertThatThrownBy(() -> ModelDownload.start(dir.resolve("no/such/dir/m.bin"), piece(MODEL, sha, 0, 10)))
        .isInstanceOf(IOException.class).hasMessageContaining("no directory");
    assertThatThrownBy(() -> ModelDownload.start(dir, piece(MODEL, sha, 0, 10)))
        .isInstanceOf(IOException.class).hasMessageContaining("is a directory");
  }
}
