package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.RdpAccountant;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Sgd;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DpSgdTrainerTest {
  static LabeledExamples train;
  static LabeledExamples test;

  @BeforeAll
  static void load() throws Exception {
    train = IdxReader.read(IdxReaderTest.FASHION, "train", 10).head(6_000);
    test = IdxReader.read(IdxReaderTest.FASHION, "t10k", 10).head(2_000);
  }

  @Test
  void budgetOverrun_stopsTheRun_atOrBelowTheBudget_andLeavesTheModelAlone() throws Exception {
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("fashion", new PrivacyBudget(1.0, 1e-5));
    MultiLayerNetwork net = Models.mlp(784, 32, 10, new Sgd(0.1), 1);
    DpSgdTrainer.Settings settings = new DpSgdTrainer.Settings(0.02, 1.0, 1.0);
    DpSgdTrainer trainer = new DpSgdTrainer(net, train, ledger, List.of("fashion"), settings,
        CryptoRandom.seededForTestsOnly(9));
    long allowed = RdpAccountant.defaults().maxSteps(0.02, 1.0, 1.0, 1e-5);
    BudgetExceededException stop = null;
    INDArray before = null;
    for (long k = 0; k < allowed + 5 && stop == null; k++) {
      before = net.params().dup();
      try {
        trainer.step();
      } catch (BudgetExceededException e) {
        stop = e;
      }
    }
    assertThat(stop).isNotNull();
    assertThat(trainer.steps()).isEqualTo(allowed);
    assertThat(ledger.spent("fashion").epsilon()).isLessThanOrEqualTo(1.0);
    assertThat(net.params()).isEqualTo(before); // the refused step changed nothing
    trainer.close();
  }

  @Test
  void shortRunOnFashionMnist_learns() throws Exception {
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("fashion", new PrivacyBudget(20.0, 1e-5));
    MultiLayerNetwork net = Models.mlp(784, 64, 10, new Sgd(0.5), 2);
    DpSgdTrainer trainer = new DpSgdTrainer(net, train, ledger, List.of("fashion"),
        new DpSgdTrainer.Settings(0.04, 1.0, 1.0), CryptoRandom.seededForTestsOnly(10));
    for (int k = 0; k < 150; k++) {
      trainer.step();
    }
    double accuracy = DpSgdTrainer.accuracy(net, test);
    assertThat(accuracy).as("test accuracy after 150 DP steps (chance: 0.10)").isGreaterThan(0.55);
    PrivateMetrics metrics = trainer.privateMetrics();
    // the DP accuracy estimates the training accuracy from a Poisson batch of expected size qN = 240: its sampling
    // error has standard deviation about sqrt(p / 240) = 0.054 at p = 0.7, its noise sqrt(2) / 240 = 0.006; 0.25 is
    // more than 4.5 of them
    double exact = DpSgdTrainer.accuracy(net, train);
    assertThat(metrics.accuracy()).as("DP training accuracy against the exact %.3f", exact).isCloseTo(exact,
        org.assertj.core.api.Assertions.within(0.25));
    assertThat(metrics.loss()).as("DP training loss (clipped at %s per example)", DpSgdTrainer.LOSS_CLIP)
        .isBetween(0.0, 3.0);
    assertThat(ledger.history("fashion").totalSteps()).isEqualTo(151); // 150 steps + 1 for the metrics
    trainer.close();
  }

  @Test
  void emptyDatasetList_isRefused() {
    IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class, () -> new DpSgdTrainer(
        Models.mlp(784, 8, 10, new Sgd(0.1), 3), train, new PrivacyLedger(), List.of(),
        new DpSgdTrainer.Settings(0.01, 1, 1), CryptoRandom.seededForTestsOnly(1)));
    assertThat(e).hasMessageContaining("at least one dataset");
  }
}
