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

  /**
   * Issue 12, item 8: with the simulated key file deleted, boot wrote a new key and then refused on the journal it
   * could not read. Now it refuses before writing anything, saying what to restore.
   */
  @Test
  void aMissingSealingKeyWithAJournal_isRefusedBeforeAnythingIsWritten() throws Exception {
    try (Coordinator c = Coordinator.start(config())) {
      assertThat(c.journal().nextSeq()).isEqualTo(1);
    }
    Path keys = dir.resolve("state/INSECURE-sealing-keys.json");
    Files.delete(keys);
    assertThatThrownBy(() -> Coordinator.start(config())).isInstanceOf(IOException.class)
        .hasMessageContaining("has a journal but no INSECURE-sealing-keys.json").hasMessageContaining("Restore");
    assertThat(keys).doesNotExist();
  }

  /**
   * Issue 12, item 8: a kill during FinishUpload left a *.sealed.N.tmp of the dataset's size, and failed uploads
   * stayed in uploads/ for ever. Boot deletes temporary files and uploads untouched for 7 days.
   */
  @Test
  void boot_deletesTemporaryFilesOfInterruptedWrites_andStaleUploads() throws Exception {
    try (Coordinator c = Coordinator.start(config())) {
      assertThat(c.journal().nextSeq()).isEqualTo(1);
    }
    Path state = dir.resolve("state");
    Path orphan = Files.writeString(state.resolve("datasets").resolve(
        "0000000000000000000000000000000000000000000000000000000000000000.sealed.41.tmp"), "half a dataset");
    Path stale = Files.createDirectories(state.resolve("uploads/0123456789abcdef0123456789abcdef"));
    Files.writeString(stale.resolve("begin.sealed"), "not a sealed record");
    Path chunkTmp = Files.writeString(stale.resolve("00000000.chunk.12.tmp"), "x");
    Path jobTmp = Files.writeString(Files.createDirectories(state.resolve("jobs")).resolve("model.sealed.9.tmp"), "x");
    try (Coordinator c = Coordinator.start(config())) {
      assertThat(orphan).doesNotExist();
      assertThat(chunkTmp).doesNotExist();
      assertThat(jobTmp).doesNotExist();
      assertThat(stale).doesNotExist(); // an upload record nothing can read can never be resumed
    }
  }
}
