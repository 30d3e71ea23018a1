package dev.rampart.coordinator.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.datasets.CanonicalWriter;
import dev.rampart.datasets.FeatureType;
import dev.rampart.datasets.Header;
import dev.rampart.datasets.Summary;
import dev.rampart.protocol.v1.BeginUploadRequest;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads stored as they arrive (issue 13, section 4): the sealed chunks are the stored form, validated and hashed
 * in order as they become contiguous, so finishing is a commit; and what is stored is always what was validated.
 */
class DatasetStoreTest {
  static final String OWNER = "a".repeat(64);

  @TempDir Path dir;
  SealingKeys keys;
  DatasetStore store;

  @BeforeEach
  void setUp() throws Exception {
    keys = SealingKeys.loadOrCreate(dir.resolve(SealingKeys.FILE_NAME), true);
    store = new DatasetStore(dir, keys);
  }

  /** Canonical UINT8 data of {@code rows} rows of 1000 features (1004 bytes a row): 2600 rows are 3 chunks. */
  static byte[] canonical(int rows, long seed, int badLabelRow) throws Exception {
    Random r = new Random(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CanonicalWriter w = CanonicalWriter.open(out, new Header(FeatureType.UINT8, 1000, 10, rows));
    for (int i = 0; i < rows; i++) {
      float[] x = new float[1000];
      for (int f = 0; f < x.length; f++) {
        x[f] = r.nextInt(256);
      }
      w.writeRow(x, r.nextInt(10));
    }
    w.finish();
    byte[] b = out.toByteArray();
    if (badLabelRow >= 0) {
      b[28 + badLabelRow * 1004 + 1003] = 77; // a label outside [0, 10)
    }
    return b;
  }

  static BeginUploadRequest begin(byte[] data, int rows, String name, double epsilon) throws Exception {
    String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    return BeginUploadRequest.newBuilder().setManifest(DatasetManifest.newBuilder().setDatasetId(id).setName(name)
        .setCanonicalBytes(data.length).setRows(rows).setFeatures(1000).setClasses(10)
        .setOwnerSignature(ByteString.copyFromUtf8("signature"))).setLicense(License.newBuilder().setEpsilon(epsilon)
        .setDelta(1e-5)).build();
  }

  static byte[] chunk(byte[] data, long seq) {
    int from = (int) (seq * DatasetStore.CHUNK_SIZE);
    return Arrays.copyOfRange(data, from, Math.min(data.length, from + DatasetStore.CHUNK_SIZE));
  }

  static byte[] sha(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  long put(DatasetStore s, DatasetStore.Upload u, byte[] data, long seq) throws Exception {
    byte[] c = chunk(data, seq);
    return s.putChunk(s.read(u.uploadId()), seq, c, sha(c));
  }

  /** Every chunk of the upload, in order. */
  void putAll(DatasetStore s, DatasetStore.Upload u, byte[] data) throws Exception {
    for (long seq = 0; seq < u.chunkCount(); seq++) {
      put(s, u, data, seq);
    }
  }

  byte[] stored(DatasetStore s, String id) throws Exception {
    try (InputStream in = s.open(id)) {
      return in.readAllBytes();
    }
  }

  /** A commit that records nothing, as the journal does when it accepts the dataset. */
  static final DatasetStore.Commit ACCEPT = (latest, summary) -> {};

  /**
   * A chunk whose request read the upload's record before the owner began the upload again (a new generation) is
   * refused: rebuilding progress from the stale record used to delete the new generation's acknowledged chunks.
   */
  @Test
  void aChunkOfAnEarlierGeneration_isRefused_andTheNewGenerationsChunksStay() throws Exception {
    byte[] data = canonical(2600, 4, -1);
    DatasetStore.Upload old = store.begin(OWNER, begin(data, 2600, "first name", 3));
    DatasetStore.Upload now = store.begin(OWNER, begin(data, 2600, "second name", 3)); // another manifest: restart
    assertThat(now.generation()).isNotEqualTo(old.generation());
    byte[] c0 = chunk(data, 0);
    assertThat(store.putChunk(now, 0, c0, sha(c0))).isEqualTo(1);
    byte[] c1 = chunk(data, 1);
    assertThatThrownBy(() -> store.putChunk(old, 1, c1, sha(c1))).isInstanceOf(ServiceException.class)
        .hasMessageContaining("was begun again");
    assertThat(store.nextChunk(now)).isEqualTo(1);
    assertThat(DatasetStore.chunkFile(dir.resolve("uploads").resolve(now.uploadId()), 0)).exists();
    putAll(store, now, data);
    assertThat(store.finish(now, ACCEPT).sha256Hex()).isEqualTo(now.request().getManifest().getDatasetId());
    assertThat(stored(store, now.request().getManifest().getDatasetId())).isEqualTo(data);
  }

  @Test
  void chunksOutOfOrderAndResent_storeExactlyTheValidatedBytes_andFinishingWritesNoDataByte() throws Exception {
    byte[] data = canonical(2600, 1, -1);
    BeginUploadRequest req = begin(data, 2600, "x", 3);
    DatasetStore.Upload u = store.begin(OWNER, req);
    assertThat(u.chunkCount()).isEqualTo(3);
    assertThat(put(store, u, data, 2)).isZero(); // ahead of a gap: stored, not yet acknowledged
    assertThat(put(store, u, data, 1)).isZero();
    // a re-send of a stored chunk with other bytes (and their own digest) is acknowledged, never written
    byte[] other = chunk(canonical(2600, 2, -1), 1);
    assertThat(store.putChunk(store.read(u.uploadId()), 1, other, sha(other))).isZero();
    assertThat(put(store, u, data, 0)).isEqualTo(3);
    assertThat(put(store, u, data, 0)).isEqualTo(3); // a lost acknowledgement's re-send
    long writtenBefore = bytesUnder(dir);
    Summary s = store.finish(store.read(u.uploadId()), ACCEPT);
    assertThat(s.sha256Hex()).isEqualTo(req.getManifest().getDatasetId());
    assertThat(s.classCounts()).hasSize(10);
    // the commit is metadata: the chunk files moved, a record of under a kilobyte was added
    assertThat(bytesUnder(dir) - writtenBefore).isBetween(0L, 1024L);
    assertThat(stored(store, req.getManifest().getDatasetId())).isEqualTo(data);
    assertThat(Files.exists(dir.resolve("uploads").resolve(u.uploadId()))).isFalse();
  }

  @Test
  void aCoordinatorRestartMidUpload_rebuildsTheValidationFromTheSealedChunks() throws Exception {
    byte[] data = canonical(2600, 3, -1);
    BeginUploadRequest req = begin(data, 2600, "x", 3);
    DatasetStore.Upload u = store.begin(OWNER, req);
    put(store, u, data, 0);
    put(store, u, data, 2); // beyond the gap: dropped at the restart, because it was never validated
    DatasetStore restarted = new DatasetStore(dir, SealingKeys.loadOrCreate(dir.resolve(SealingKeys.FILE_NAME), false));
    assertThat(restarted.nextChunk(u.uploadId())).isEqualTo(1);
    assertThat(put(restarted, u, data, 1)).isEqualTo(2);
    assertThat(put(restarted, u, data, 2)).isEqualTo(3);
    restarted.finish(restarted.read(u.uploadId()), ACCEPT);
    assertThat(stored(restarted, req.getManifest().getDatasetId())).isEqualTo(data);
  }

  @Test
  void aChunkSealedForAnEarlierUploadOfTheSameId_isNotAcceptedIntoANewOne() throws Exception {
    byte[] data = canonical(2600, 4, -1);
    BeginUploadRequest first = begin(data, 2600, "first", 3);
    DatasetStore.Upload u1 = store.begin(OWNER, first);
    put(store, u1, data, 0);
    Path chunk0 = dir.resolve("uploads").resolve(u1.uploadId()).resolve("00000000.chunk");
    byte[] oldSealed = Files.readAllBytes(chunk0);
    // the same owner and content under another manifest: the upload starts over with a fresh generation
    DatasetStore.Upload u2 = store.begin(OWNER, begin(data, 2600, "second", 3));
    assertThat(u2.uploadId()).isEqualTo(u1.uploadId());
    assertThat(u2.generation()).isNotEqualTo(u1.generation());
    assertThat(store.nextChunk(u2.uploadId())).isZero();
    Files.write(chunk0, oldSealed); // the host slips the earlier upload's sealed chunk back in
    DatasetStore restarted = new DatasetStore(dir, keys);
    assertThat(restarted.nextChunk(u2.uploadId())).isZero();
    assertThat(Files.exists(chunk0)).isFalse();
  }

  @Test
  void invalidContent_isFoundAsItArrives_andRefusedAtFinish_andNothingIsStored() throws Exception {
    byte[] data = canonical(2600, 5, 1200); // the bad label is in chunk 1
    BeginUploadRequest req = begin(data, 2600, "x", 3);
    DatasetStore.Upload u = store.begin(OWNER, req);
    putAll(store, u, data);
    assertThatThrownBy(() -> store.finish(store.read(u.uploadId()), ACCEPT))
        .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.refusal()).isEqualTo(ServiceException.Refusal.INVALID))
        .hasMessageContaining("record 1200 (0-based): label 77 is outside [0, 10)");
    assertThat(Files.exists(store.storedDir(req.getManifest().getDatasetId()))).isFalse();
    // and again after a restart (the validation is rebuilt from disk, with the same finding)
    DatasetStore restarted = new DatasetStore(dir, keys);
    assertThatThrownBy(() -> restarted.finish(restarted.read(u.uploadId()), ACCEPT))
        .hasMessageContaining("label 77");
  }

  @Test
  void bytesThatDoNotHashToTheId_orAnIncompleteUpload_areRefused() throws Exception {
    byte[] data = canonical(2600, 6, -1);
    BeginUploadRequest req = begin(data, 2600, "x", 3);
    String wrongId = "0".repeat(64);
    BeginUploadRequest lying = req.toBuilder().setManifest(req.getManifest().toBuilder().setDatasetId(wrongId)).build();
    DatasetStore.Upload u = store.begin(OWNER, lying);
    put(store, u, data, 0);
    assertThatThrownBy(() -> store.finish(store.read(u.uploadId()), ACCEPT))
        .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.refusal()).isEqualTo(ServiceException.Refusal.PRECONDITION))
        .hasMessageContaining("has 1 of 3 chunks");
    put(store, u, data, 1);
    put(store, u, data, 2);
    assertThatThrownBy(() -> store.finish(store.read(u.uploadId()), ACCEPT))
        .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.refusal()).isEqualTo(ServiceException.Refusal.INVALID))
        .hasMessageContaining("not to the dataset id " + wrongId);
  }

  @Test
  void aFailedCommit_putsTheUploadBack_andABootMovesAnUnjournaledDatasetBack() throws Exception {
    byte[] data = canonical(2600, 7, -1);
    BeginUploadRequest req = begin(data, 2600, "x", 3);
    String id = req.getManifest().getDatasetId();
    DatasetStore.Upload u = store.begin(OWNER, req);
    putAll(store, u, data);
    assertThatThrownBy(() -> store.finish(store.read(u.uploadId()), (latest, s) -> {
      throw new java.io.IOException("the journal's disk is full");
    })).hasMessageContaining("disk is full");
    assertThat(Files.exists(store.storedDir(id))).isFalse();
    // finished again: committed; then a crash before the journal record is modelled by a boot that does not know it
    store.finish(store.read(u.uploadId()), ACCEPT);
    assertThat(Files.isDirectory(store.storedDir(id))).isTrue();
    assertThatThrownBy(() -> store.begin(OWNER, req)).isInstanceOf(DatasetStore.AlreadyStoredException.class);
    DatasetStore booted = new DatasetStore(dir, keys);
    int[] cleaned = booted.cleanUp(x -> false, java.time.Instant.now());
    assertThat(cleaned[2]).isEqualTo(1);
    assertThat(Files.exists(booted.storedDir(id))).isFalse();
    // the owner's retried finish stores it again, from the chunks already there
    assertThat(booted.nextChunk(u.uploadId())).isEqualTo(3);
    booted.finish(booted.read(u.uploadId()), ACCEPT);
    assertThat(stored(booted, id)).isEqualTo(data);
    // a boot that knows it leaves it alone
    assertThat(new DatasetStore(dir, keys).cleanUp(x -> x.equals(id), java.time.Instant.now())[2]).isZero();
    assertThat(stored(booted, id)).isEqualTo(data);
  }

  @Test
  void aResumeTakesTheNewLicense_andFinishHandsTheCommitTheLicenseSentLast() throws Exception {
    byte[] data = canonical(1000, 8, -1);
    DatasetStore.Upload u = store.begin(OWNER, begin(data, 1000, "x", 5));
    put(store, u, data, 0);
    store.begin(OWNER, begin(data, 1000, "x", 1)); // the same content, a narrower license: the chunk stays
    assertThat(store.nextChunk(u.uploadId())).isEqualTo(1);
    List<Double> committed = new ArrayList<>();
    store.finish(store.read(u.uploadId()), (latest, s) -> committed.add(latest.request().getLicense().getEpsilon()));
    assertThat(committed).containsExactly(1.0);
  }

  @Test
  void aDamagedOrMissingStoredChunk_failsNamingTheFile() throws Exception {
    byte[] data = canonical(2600, 9, -1);
    BeginUploadRequest req = begin(data, 2600, "x", 3);
    String id = req.getManifest().getDatasetId();
    DatasetStore.Upload u = store.begin(OWNER, req);
    putAll(store, u, data);
    store.finish(store.read(u.uploadId()), ACCEPT);
    Path c1 = store.storedDir(id).resolve("00000001.chunk");
    byte[] sealed = Files.readAllBytes(c1);
    sealed[sealed.length / 2] ^= 1;
    Files.write(c1, sealed);
    assertThatThrownBy(() -> stored(store, id)).isInstanceOf(SealedDataException.class)
        .hasMessageContaining(c1.toString()).hasMessageContaining("backup");
    Files.delete(c1);
    assertThatThrownBy(() -> stored(store, id)).isInstanceOf(SealedDataException.class)
        .hasMessageContaining(c1.toString());
    // a chunk of this dataset moved to another position fails too: its number is bound into it
    Files.copy(store.storedDir(id).resolve("00000000.chunk"), c1);
    assertThatThrownBy(() -> stored(store, id)).isInstanceOf(SealedDataException.class)
        .hasMessageContaining(c1.toString());
  }

  @Test
  void aDatasetStoredByAnEarlierVersion_asOneStreamingFile_stillOpens() throws Exception {
    byte[] data = canonical(1500, 10, -1);
    String id = HexFormat.of().formatHex(sha(data));
    SealedFiles.writeStream(keys.streaming(), dir.resolve("datasets").resolve(id + ".sealed"),
        "rampart-dataset/v1|" + id, out -> out.write(data));
    assertThat(stored(store, id)).isEqualTo(data);
    assertThatThrownBy(() -> store.begin(OWNER, begin(data, 1500, "x", 3)))
        .isInstanceOf(DatasetStore.AlreadyStoredException.class);
    // journaled: a boot keeps it; not journaled (that version wrote the file before the record, and a crash lost
    // the record): a boot deletes it, and the owner's upload can begin again
    new DatasetStore(dir, keys).cleanUp(x -> x.equals(id), java.time.Instant.now());
    assertThat(stored(store, id)).isEqualTo(data);
    DatasetStore booted = new DatasetStore(dir, keys);
    booted.cleanUp(x -> false, java.time.Instant.now());
    assertThat(Files.exists(dir.resolve("datasets").resolve(id + ".sealed"))).isFalse();
    assertThat(booted.begin(OWNER, begin(data, 1500, "x", 3)).chunkCount()).isEqualTo(2);
  }

  static long bytesUnder(Path root) throws Exception {
    try (Stream<Path> files = Files.walk(root)) {
      long n = 0;
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        n += Files.size(p);
      }
      return n;
    }
  }
}
