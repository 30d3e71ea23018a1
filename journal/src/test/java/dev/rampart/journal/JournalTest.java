package dev.rampart.journal;

import static dev.rampart.journal.Fixtures.boot;
import static dev.rampart.journal.Fixtures.bootEvidence;
import static dev.rampart.journal.Fixtures.fields;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir
  Path dir;
  Path file;
  Aead aead;
  KeyPair key;

  @BeforeEach
  void setUp() throws Exception {
    file = dir.resolve("journal.bin");
    aead = Fixtures.aead();
    key = Fixtures.p256();
  }

  private void flipByte(long offset) throws Exception {
    byte[] b = Files.readAllBytes(file);
    b[(int) offset] ^= 0x01;
    Files.write(file, b);
  }

  @Test
  void appendReopenAppend_roundTrips() throws Exception {
    List<JournalEntry> written = new ArrayList<>();
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.entries()).isEmpty();
      assertThat(j.headHash()).isEqualTo(new byte[32]);
      written.add(boot(j, key));
      written.add(j.append("principal.enrolled", List.of("fp-1"), fields("role", "owner")));
      written.add(j.append("dataset.stored", List.of("fp-1", "ds-1"), fields("rows", "10")));
    }
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.entries()).containsExactlyElementsOf(written);
      assertThat(j.recoveredTornTail()).isZero();
      assertThat(j.nextSeq()).isEqualTo(3);
      assertThat(j.headHash()).isEqualTo(written.get(2).hash());
      assertThat(j.entries().get(2).subjects()).containsExactly("fp-1", "ds-1");
      assertThat(j.entries().get(2).payloadJson().get("rows").asText()).isEqualTo("10");
      // a restart is a new boot with a new key
      written.add(boot(j, Fixtures.p256()));
      written.add(j.append("license.set", List.of("ds-1"), fields("epsilon", "3.0")));
    }
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.entries()).containsExactlyElementsOf(written);
      assertThat(j.entries()).extracting(JournalEntry::seq).containsExactly(0L, 1L, 2L, 3L, 4L);
      assertThat(j.entries()).extracting(JournalEntry::type)
          .containsExactly("boot", "principal.enrolled", "dataset.stored", "boot", "license.set");
    }
    assertThat(JournalVerifier.verify(written, Fixtures.policy()).ok()).isTrue();
  }

  @Test
  void payloads_carrySubjectsFirst_andASaltThatHidesGuessablePayloads() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      JournalEntry a = j.append("principal.enrolled", List.of("fp-1", "fp-1"), fields("role", "owner"));
      JournalEntry b = j.append("principal.enrolled", List.of("fp-1"), fields("role", "owner"));
      assertThat(new String(a.payload(), StandardCharsets.UTF_8)).startsWith("{\"subjects\":[\"fp-1\"],\"salt\":\"");
      assertThat(a.payloadSha256()).isNotEqualTo(b.payloadSha256());
    }
  }

  @Test
  void tamperedByte_isCorruptAtItsSeq_andTheFileIsLeftAsItWas() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      j.append("a", List.of(), fields());
      j.append("b", List.of(), fields());
      j.append("c", List.of(), fields());
    }
    long[] record2 = Fixtures.records(file).get(2);
    flipByte(record2[0] + 20);
    byte[] before = Files.readAllBytes(file);
    assertThatThrownBy(() -> Journal.open(file, aead)).isInstanceOfSatisfying(JournalCorruptException.class, e -> {
      assertThat(e.seq()).isEqualTo(2);
      assertThat(e.kind()).isEqualTo(JournalProblem.Kind.SEALED_RECORD);
      assertThat(e.getMessage()).contains("seq 2").contains("not changed");
    });
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    // the failed open released the file: a repaired journal opens again
    flipByte(record2[0] + 20);
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.entries()).hasSize(4);
    }
  }

  @Test
  void damagedLengthPrefix_isCorrupt() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      j.append("a", List.of(), fields());
    }
    long[] record1 = Fixtures.records(file).get(1);
    byte[] b = Files.readAllBytes(file);
    b[(int) record1[0]] = (byte) 0x7f; // a length of about 2 GB
    Files.write(file, b);
    assertThatThrownBy(() -> Journal.open(file, aead)).isInstanceOfSatisfying(JournalCorruptException.class, e -> {
      assertThat(e.seq()).isEqualTo(1);
      assertThat(e.kind()).isEqualTo(JournalProblem.Kind.FORMAT);
    });
  }

  @Test
  void recordsMovedToAnotherPosition_doNotDecrypt() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      j.append("a", List.of(), fields("x", "1"));
      j.append("b", List.of(), fields("x", "2"));
    }
    byte[] b = Files.readAllBytes(file);
    List<long[]> r = Fixtures.records(file);
    ByteBuffer swapped = ByteBuffer.allocate(b.length);
    swapped.put(b, 0, (int) r.get(0)[1]);
    swapped.put(b, (int) r.get(2)[0], (int) r.get(2)[1]);
    swapped.put(b, (int) r.get(1)[0], (int) r.get(1)[1]);
    Files.write(file, swapped.array());
    assertThatThrownBy(() -> Journal.open(file, aead)).isInstanceOfSatisfying(JournalCorruptException.class, e -> {
      assertThat(e.seq()).isEqualTo(1);
      assertThat(e.kind()).isEqualTo(JournalProblem.Kind.SEALED_RECORD);
    });
  }

  @Test
  void truncatedMidRecord_cutsTheTornTail_keepsEarlierEntries_andAppendsContinue() throws Exception {
    List<JournalEntry> kept = new ArrayList<>();
    try (Journal j = Journal.open(file, aead)) {
      kept.add(boot(j, key));
      kept.add(j.append("a", List.of(), fields()));
      j.append("b", List.of(), fields());
    }
    long[] last = Fixtures.records(file).get(2);
    long cut = last[0] + last[1] - 10; // what kill -9 in the middle of the write leaves
    try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(cut);
    }
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.recoveredTornTail()).isEqualTo(last[1] - 10);
      assertThat(j.entries()).containsExactlyElementsOf(kept);
      assertThat(Files.size(file)).isEqualTo(last[0]);
      boot(j, Fixtures.p256());
      assertThat(j.append("c", List.of(), fields()).seq()).isEqualTo(3);
    }
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.recoveredTornTail()).isZero();
      assertThat(j.entries()).extracting(JournalEntry::type).containsExactly("boot", "a", "boot", "c");
    }
  }

  @Test
  void tornLengthPrefix_isCutOff() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
    }
    long size = Files.size(file);
    Files.write(file, new byte[] {0, 0}, StandardOpenOption.APPEND);
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.recoveredTornTail()).isEqualTo(2);
      assertThat(j.entries()).hasSize(1);
    }
    assertThat(Files.size(file)).isEqualTo(size);
  }

  /**
   * Issue 12, item 8: a power loss after the file grew but before its data reached the disk leaves zeros. That tail
   * was never acknowledged (an append returns after force()), so it is dropped like a torn record instead of
   * blocking the boot; zeros followed by anything else are still damage.
   */
  @Test
  void aZeroFilledTail_isDroppedLikeATornRecord_butNotZerosFollowedByData() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      j.append("a", List.of(), fields());
    }
    long size = Files.size(file);
    Files.write(file, new byte[8192], StandardOpenOption.APPEND); // zeros where a length prefix would be
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.recoveredTornTail()).isEqualTo(8192);
      assertThat(j.entries()).extracting(JournalEntry::type).containsExactly("boot", "a");
    }
    assertThat(Files.size(file)).isEqualTo(size);
    // a length prefix on disk, its body zeros
    byte[] prefixThenZeros = new byte[4 + 300];
    java.nio.ByteBuffer.wrap(prefixThenZeros).putInt(300);
    Files.write(file, prefixThenZeros, StandardOpenOption.APPEND);
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.recoveredTornTail()).isEqualTo(304);
    }
    // zeros, then a non-zero byte: not a power-loss tail
    byte[] zerosThenData = new byte[64];
    zerosThenData[63] = 7;
    Files.write(file, zerosThenData, StandardOpenOption.APPEND);
    assertThatThrownBy(() -> Journal.open(file, aead)).isInstanceOf(JournalCorruptException.class)
        .hasMessageContaining("restore it from a backup");
  }

  @Test
  void wrongSealingKey_isATypedErrorAtSeqZero() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
    }
    Aead other = Fixtures.aead();
    assertThatThrownBy(() -> Journal.open(file, other)).isInstanceOfSatisfying(JournalCorruptException.class, e -> {
      assertThat(e.seq()).isZero();
      assertThat(e.kind()).isEqualTo(JournalProblem.Kind.SEALED_RECORD);
      assertThat(e.getMessage()).contains("sealing key");
    });
  }

  @Test
  void secondWriter_isLockedOut() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      assertThatThrownBy(() -> Journal.open(file, aead)).isInstanceOf(JournalLockedException.class)
          .hasMessageContaining("only one coordinator");
    }
    Journal.open(file, aead).close(); // released on close
  }

  @Test
  void appendsBeforeABoot_orOfTypeBoot_orWithReservedFields_areRefused() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      assertThatThrownBy(() -> j.append("a", List.of(), fields())).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("startBoot");
      boot(j, key);
      assertThatThrownBy(() -> j.append("boot", List.of(), fields())).hasMessageContaining("startBoot");
      assertThatThrownBy(() -> j.append("a", List.of(), fields("salt", "x"))).hasMessageContaining("'salt'");
      assertThatThrownBy(() -> j.append("a", List.of(), fields("subjects", "x"))).hasMessageContaining("'subjects'");
      assertThatThrownBy(() -> j.append("Not A Type", List.of(), fields())).hasMessageContaining("entry type");
      assertThatThrownBy(() -> j.append("a", List.of(""), fields())).hasMessageContaining("subject");
      assertThat(j.nextSeq()).isEqualTo(1);
    }
  }

  @Test
  void signersOtherThanP256_areRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp384r1"));
    try (Journal j = Journal.open(file, aead)) {
      for (KeyPair k : List.of(rsa.generateKeyPair(), ec.generateKeyPair())) {
        BootEvidence ev = bootEvidence(j.headHash(), k.getPublic().getEncoded());
        assertThatThrownBy(() -> j.startBoot(k, ev)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("P-256").hasMessageContaining("secp256r1");
      }
      assertThat(j.nextSeq()).isZero();
    }
  }

  @Test
  void bootEvidenceNotBindingThisBoot_isRefused() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      KeyPair other = Fixtures.p256();
      BootEvidence forOtherKey = bootEvidence(j.headHash(), other.getPublic().getEncoded());
      assertThatThrownBy(() -> j.startBoot(key, forOtherKey)).hasMessageContaining("does not bind");
      BootEvidence staleHead = bootEvidence(new byte[32], key.getPublic().getEncoded());
      boot(j, key);
      assertThatThrownBy(() -> j.startBoot(key, staleHead)).hasMessageContaining("does not bind");
      BootEvidence right = bootEvidence(j.headHash(), key.getPublic().getEncoded());
      BootEvidence wrongMeasurement = new BootEvidence(right.evidence(), right.endorsements(), new byte[48]);
      assertThatThrownBy(() -> j.startBoot(key, wrongMeasurement)).hasMessageContaining("measurement");
      assertThat(j.nextSeq()).isEqualTo(1);
    }
  }

  @Test
  void mismatchedKeyHalves_areRefusedBeforeAnythingIsWritten() throws Exception {
    KeyPair mixed = new KeyPair(key.getPublic(), Fixtures.p256().getPrivate());
    try (Journal j = Journal.open(file, aead)) {
      BootEvidence ev = bootEvidence(j.headHash(), key.getPublic().getEncoded());
      assertThatThrownBy(() -> j.startBoot(mixed, ev)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("belong together");
    }
    assertThat(Files.size(file)).isZero();
  }

  @Test
  void export_redactsWhatTheReaderMayNotSee_butNeverABoot() throws Exception {
    List<JournalEntry> all = Fixtures.sampleJournal(file, aead, key);
    try (Journal j = Journal.open(file, aead)) {
      List<JournalEntry> forA = j.export(Journal.concerning(Set.of("owner-a")));
      assertThat(forA).extracting(JournalEntry::isRedacted).containsExactly(false, false, true, false, true, false);
      assertThat(forA).extracting(JournalEntry::hashHex).containsExactlyElementsOf(
          all.stream().map(JournalEntry::hashHex).toList());
      assertThat(j.export(e -> false)).extracting(JournalEntry::isRedacted)
          .containsExactly(false, true, true, true, true, true);
    }
  }

  @Test
  void concurrentAppends_getContiguousSeqs() throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          String name = "t" + t;
          tasks.add(() -> {
            for (int i = 0; i < 10; i++) {
              j.append("job.step", List.of(name), fields("i", Integer.toString(i)));
            }
            return null;
          });
        }
        for (Future<Void> f : pool.invokeAll(tasks)) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
    }
    try (Journal j = Journal.open(file, aead)) {
      assertThat(j.entries()).hasSize(41);
      // contiguous: exactly 0, 1, ..., 40 (sorted and distinct alone would let a gap through)
      assertThat(j.entries()).extracting(JournalEntry::seq)
          .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 41).boxed().toList());
      // and each writer's entries in its own order
      for (int t = 0; t < 4; t++) {
        String name = "t" + t;
        assertThat(j.entries()).filteredOn(e -> e.subjects().contains(name))
            .extracting(e -> e.payloadJson().path("i").asText())
            .containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
      }
    }
  }

  @Test
  void entryTimes_neverGoBackwards_evenWhenTheClockDoes() throws Exception {
    AtomicLong now = new AtomicLong(1_800_000_000_000L);
    Clock clock = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(now.get());
      }
    };
    try (Journal j = Journal.open(file, aead, clock)) {
      boot(j, key);
      now.addAndGet(-60_000);
      JournalEntry e = j.append("a", List.of(), fields());
      assertThat(e.timeMillis()).isEqualTo(1_800_000_000_000L);
    }
  }

  @Test
  void closedJournal_refusesEntries() throws Exception {
    Journal j = Journal.open(file, aead);
    boot(j, key);
    j.close();
    j.close();
    assertThatThrownBy(() -> j.append("a", List.of(), fields())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void bootNonce_isTheDocumentedDigest() throws Exception {
    byte[] prev = new byte[32];
    prev[31] = 7;
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    d.update("rampart-journal-boot/v1\0".getBytes(StandardCharsets.US_ASCII));
    d.update(prev);
    assertThat(Journal.bootNonce(prev)).isEqualTo(d.digest()).hasSize(32);
    assertThat(java.util.HexFormat.of().formatHex(Journal.bootNonce(new byte[32])))
        .isEqualTo("38ad0c7f05950991698cb51a8c1759b2cc4a06b3e1191d5ecd3cb21b77733a24");
    assertThatThrownBy(() -> Journal.bootNonce(new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }
}
