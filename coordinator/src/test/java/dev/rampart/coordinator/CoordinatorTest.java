package dev.rampart.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boot on a state directory: keys, journal replay, crash leftovers, tampering, exclusivity. */
class CoordinatorTest {
  @TempDir Path dir;

  private CoordinatorConfig config() throws Exception {
    return CoordinatorConfig.builder(dir.resolve("state"), MessageDigest.getInstance("SHA-384").digest(new byte[1]))
        .build();
  }

  @Test
  void firstBoot_makesPrivateKeys_andASecondCoordinatorOnTheSameStateIsRefused() throws Exception {
    try (Coordinator c = Coordinator.start(config())) {
      Path state = dir.resolve("state");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
          state.resolve("INSECURE-sealing-keys.json")))).isEqualTo("rw-------");
      assertThat(Files.readString(state.resolve("INSECURE-sealing-keys.json"))).contains("INSECURE");
      assertThat(c.journal().entries()).extracting(e -> e.type()).containsExactly("boot");
      assertThatThrownBy(() -> Coordinator.start(config())).isInstanceOf(IOException.class)
          .hasMessageContaining("uses");
    }
  }

  @Test
  void aTornJournalTail_isCutAndRecorded_butTamperingStopsTheBoot() throws Exception {
    try (Coordinator c = Coordinator.start(config())) {
      assertThat(c.journal().nextSeq()).isEqualTo(1);
    }
    Path journal = dir.resolve("state/journal.sealed");
    byte[] oneBoot = Files.readAllBytes(journal);
    try (Coordinator c = Coordinator.start(config())) {
      assertThat(c.journal().nextSeq()).isEqualTo(2);
    }
    // a crash in the middle of writing the second record
    byte[] two = Files.readAllBytes(journal);
    Files.write(journal, Arrays.copyOf(two, oneBoot.length + 10));
    try (Coordinator c = Coordinator.start(config())) {
      assertThat(c.journal().entries()).extracting(e -> e.type())
          .containsExactly("boot", "boot", "journal.recovered");
    }
    // a modified byte inside a complete record: refuse to start, touch nothing
    byte[] now = Files.readAllBytes(journal);
    byte[] tampered = now.clone();
    tampered[oneBoot.length / 2] ^= 1;
    Files.write(journal, tampered);
    assertThatThrownBy(() -> Coordinator.start(config())).isInstanceOf(IOException.class)
        .hasMessageContaining("fails verification").hasMessageContaining("Nothing was changed");
    assertThat(Files.readAllBytes(journal)).isEqualTo(tampered);
  }
}
