package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  static LabeledExamples data;

  @TempDir Path dir;

  @BeforeAll
  static void load() throws Exception {
    data = IdxReader.read(IdxReaderTest.FASHION, "train", 10).head(3_000);
  }

  private DpSgdTrainer trained(MultiLayerNetwork net, int steps) throws Exception {
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("fashion", new PrivacyBudget(10.0, 1e-5));
    DpSgdTrainer t = new DpSgdTrainer(net, data, ledger, List.of("fashion"), new DpSgdTrainer.Settings(0.05, 1.1, 1.0),
        CryptoRandom.create());
    for (int k = 0; k < steps; k++) {
      t.step();
    }
    return t;
  }

  @Test
  void resume_restoresParametersUpdaterStateStepsAndLedger() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 32, 10, new Adam(1e-3), 1);
    DpSgdTrainer original = trained(net, 25);
    Path file = dir.resolve("run.ckpt");
    original.checkpoint(file);
    original.close();

    MultiLayerNetwork fresh = Models.mlp(784, 32, 10, new Adam(1e-3), 99); // other initial weights
    DpSgdTrainer resumed = DpSgdTrainer.resume(file, fresh, data, List.of("fashion"), CryptoRandom.create());
    assertThat(fresh.params()).isEqualTo(net.params());
    assertThat(fresh.getUpdater().getStateViewArray()).isEqualTo(net.getUpdater().getStateViewArray());
    assertThat(fresh.getIterationCount()).isEqualTo(net.getIterationCount()).isEqualTo(25);
    assertThat(resumed.steps()).isEqualTo(25);
    assertThat(resumed.settings()).isEqualTo(original.settings());
    assertThat(resumed.ledger().spent("fashion")).isEqualTo(original.ledger().spent("fashion"));
    assertThat(resumed.ledger().history("fashion")).isEqualTo(original.ledger().history("fashion"));

    // the resumed run goes on charging from where it was: ε never restarts from zero
    resumed.step();
    assertThat(resumed.ledger().history("fashion").totalSteps()).isEqualTo(26);
    assertThat(resumed.ledger().spent("fashion").epsilon())
        .isGreaterThan(original.ledger().spent("fashion").epsilon());
    resumed.close();
  }

  @Test
  void resume_refusesALiveLedgerBehindTheCheckpoint_andTakesOneAhead() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Sgd(0.1), 1);
    PrivacyLedger behind = new PrivacyLedger();
    behind.open("fashion", new PrivacyBudget(10.0, 1e-5)); // nothing spent: a rolled-back ledger
    DpSgdTrainer t = trained(net, 5);
    Path file = dir.resolve("run.ckpt");
    t.checkpoint(file);
    t.reserve(20); // charged ahead, then "crash": the live ledger is ahead of the checkpoint
    PrivacyLedger ahead = t.ledger();
    t.close();
    assertThatThrownBy(() -> DpSgdTrainer.resume(file, Models.mlp(784, 16, 10, new Sgd(0.1), 2), data,
        List.of("fashion"), CryptoRandom.create(), behind)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("roll the budget back");
    DpSgdTrainer resumed = DpSgdTrainer.resume(file, Models.mlp(784, 16, 10, new Sgd(0.1), 2), data,
        List.of("fashion"), CryptoRandom.create(), ahead);
    assertThat(resumed.ledger().history("fashion").totalSteps()).isEqualTo(25); // over-counted, never under
    resumed.close();
  }

  @Test
  void reservedSteps_areNotChargedTwice() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Sgd(0.1), 1);
    DpSgdTrainer t = trained(net, 0);
    t.reserve(7);
    for (int k = 0; k < 9; k++) {
      t.step();
    }
    assertThat(t.ledger().history("fashion").totalSteps()).isEqualTo(9); // 7 reserved + 2 charged one by one
    t.close();
  }

  /** A checkpoint written before the framed format (magic, version 1, fields, SHA-256) still restores. */
  @Test
  void aFirstVersionCheckpoint_stillRestores() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 32, 10, new Sgd(0.1), 1);
    DpSgdTrainer t = trained(net, 2);
    Path file = dir.resolve("new.ckpt");
    t.checkpoint(file);
    t.close();
    byte[] framed = Files.readAllBytes(file);
    assertThat(new String(framed, 0, 8, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("RAMPCKP2");
    java.nio.ByteBuffer body = dev.rampart.common.FramedFile.open(framed, Checkpoint.MAGIC);
    java.nio.ByteBuffer v1 = java.nio.ByteBuffer.allocate(12 + 4 + body.remaining() + 32);
    v1.put("RAMPART-CKPT".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(1).put(body);
    byte[] first = withDigest(java.util.Arrays.copyOf(v1.array(), v1.position() + 32));
    MultiLayerNetwork fromNew = Models.mlp(784, 32, 10, new Sgd(0.1), 5);
    MultiLayerNetwork fromOld = Models.mlp(784, 32, 10, new Sgd(0.1), 6);
    Checkpoint.State a = Checkpoint.restore(framed, "new", fromNew);
    Checkpoint.State b = Checkpoint.restore(first, "old", fromOld);
    assertThat(fromOld.params()).isEqualTo(fromNew.params()).isEqualTo(net.params());
    assertThat(b.steps()).isEqualTo(a.steps()).isEqualTo(2);
    assertThat(b.settings()).isEqualTo(a.settings());
    byte[] v2 = first.clone();
    v2[15] = 2; // version 2 inside the old frame: never written, refused
    withDigest(v2);
    assertThatThrownBy(() -> Checkpoint.restore(v2, "odd", fromOld)).hasMessageContaining("checkpoint version 2");
  }

  /** Sets the last 32 bytes to the SHA-256 of all before them, as first-version checkpoints end; returns {@code b}. */
  private static byte[] withDigest(byte[] b) throws Exception {
    java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
    d.update(b, 0, b.length - 32);
    System.arraycopy(d.digest(), 0, b, b.length - 32, 32);
    return b;
  }

  @Test
  void badCheckpoints_areRefused_andLeaveTheNetworkAlone() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 32, 10, new Sgd(0.1), 1);
    DpSgdTrainer t = trained(net, 3);
    Path file = dir.resolve("run.ckpt");
    t.checkpoint(file);
    t.close();
    byte[] good = Files.readAllBytes(file);

    MultiLayerNetwork target = Models.mlp(784, 32, 10, new Sgd(0.1), 5);
    INDArray before = target.params().dup();
    byte[] flipped = good.clone();
    flipped[100] ^= 1;
    Files.write(file, flipped);
    assertThatThrownBy(() -> Checkpoint.restore(file, target)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("is corrupt: its SHA-256 does not match");
    Files.write(file, java.util.Arrays.copyOf(good, good.length / 2));
    assertThatThrownBy(() -> Checkpoint.restore(file, target)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("truncated or padded");
    Files.write(file, good);
    MultiLayerNetwork other = Models.mlp(784, 16, 10, new Sgd(0.1), 5);
    assertThatThrownBy(() -> Checkpoint.restore(file, other)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("another model");
    assertThat(target.params()).isEqualTo(before);
  }

  @Test
  void checkpointBytes_withoutLedger_resumeOnTheLiveLedger() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Adam(1e-3), 1);
    DpSgdTrainer t = trained(net, 4);
    byte[] bytes = t.checkpointBytes(false);
    PrivacyLedger live = t.ledger();
    t.close();
    assertThat(Checkpoint.restore(bytes, "test", Models.mlp(784, 16, 10, new Adam(1e-3), 2)).ledger()).isNull();

    MultiLayerNetwork fresh = Models.mlp(784, 16, 10, new Adam(1e-3), 3);
    DpSgdTrainer resumed = DpSgdTrainer.resume(bytes, fresh, data, List.of("fashion"), CryptoRandom.create(), live);
    assertThat(fresh.params()).isEqualTo(net.params());
    assertThat(fresh.getUpdater().getStateViewArray()).isEqualTo(net.getUpdater().getStateViewArray());
    assertThat(resumed.steps()).isEqualTo(4);
    assertThat(resumed.ledger()).isSameAs(live);
    resumed.step();
    assertThat(live.history("fashion").totalSteps()).isEqualTo(5);
    resumed.close();

    assertThatThrownBy(() -> DpSgdTrainer.resume(bytes, Models.mlp(784, 16, 10, new Adam(1e-3), 3), data,
        List.of("fashion"), CryptoRandom.create(), null)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("liveLedger");
    Path file = dir.resolve("no-ledger.ckpt");
    Files.write(file, bytes);
    assertThatThrownBy(() -> DpSgdTrainer.resume(file, Models.mlp(784, 16, 10, new Adam(1e-3), 3), data,
        List.of("fashion"), CryptoRandom.create())).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("carries no privacy ledger");
  }

  @Test
  void checkpointBytes_withLedger_refuseALiveLedgerBehindIt() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Sgd(0.1), 1);
    DpSgdTrainer t = trained(net, 3);
    byte[] bytes = t.checkpointBytes(true);
    assertThat(Checkpoint.restore(bytes, "test", Models.mlp(784, 16, 10, new Sgd(0.1), 2)).ledger()
        .history("fashion")).isEqualTo(t.ledger().history("fashion"));
    t.close();
    PrivacyLedger behind = new PrivacyLedger();
    behind.open("fashion", new PrivacyBudget(10.0, 1e-5));
    assertThatThrownBy(() -> DpSgdTrainer.resume(bytes, Models.mlp(784, 16, 10, new Sgd(0.1), 2), data,
        List.of("fashion"), CryptoRandom.create(), behind)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("roll the budget back");
    byte[] flipped = bytes.clone();
    flipped[40] ^= 1;
    assertThatThrownBy(() -> Checkpoint.restore(flipped, "the checkpoint of job 7", net))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("the checkpoint of job 7 is corrupt");
  }

  @Test
  void reserved_countsChargedStepsNotYetTaken() throws Exception {
    DpSgdTrainer t = trained(Models.mlp(784, 16, 10, new Sgd(0.1), 1), 0);
    assertThat(t.reserved()).isZero();
    t.reserve(5);
    t.step();
    t.step();
    assertThat(t.reserved()).isEqualTo(3);
    t.close();
  }
}
