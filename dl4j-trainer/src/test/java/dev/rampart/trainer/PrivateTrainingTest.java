package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.RdpAccountant;
import dev.rampart.accountant.Segment;
import dev.rampart.accountant.TargetUnreachableException;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

class PrivateTrainingTest {
  static LabeledExamples data(int n) {
    Random r = new Random(1);
    float[] x = new float[n * 8];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(3);
      for (int f = 0; f < 8; f++) {
        x[i * 8 + f] = (float) r.nextGaussian() + y[i];
      }
    }
    return LabeledExamples.of(n, 8, x, y, 3);
  }

  static MultiLayerNetwork net() {
    return Models.mlp(8, 16, 3, new Sgd(0.5), 1);
  }

  @Test
  void aTargetEpsilon_calibratesSigmaOverTheStepsAndReleases_andCapsTheRun() throws Exception {
    LabeledExamples d = data(1000);
    PrivateTraining.Plan p = PrivateTraining.of(net(), d).batchSize(100).epochs(3).clipNorm(1.0)
        .targetEpsilon(2.0, 1e-5).metricReleases(3).build();
    try (DpSgdTrainer t = p.trainer()) {
      assertThat(p.sampleRate()).isEqualTo(0.1);
      assertThat(p.steps()).isEqualTo(Segment.stepsForEpochs(3, 0.1)).isEqualTo(30);
      double expected = RdpAccountant.defaults().calibrateNoise(0.1, 33, 2.0, 1e-5,
          PrivateTraining.CALIBRATION_TOLERANCE).noiseMultiplier();
      assertThat(p.noiseMultiplier()).isEqualTo(expected);
      assertThat(p.plannedEpsilon()).isLessThanOrEqualTo(2.0).isGreaterThan(2.0 - 0.01);
      assertThat(t.settings().clipNorm()).isEqualTo(1.0);
      assertThat(p.ledger().budget("local")).isEqualTo(new PrivacyBudget(2.0, 1e-5));
      for (int i = 0; i < 30; i++) {
        t.step();
      }
      assertThat(p.ledger().spent("local").epsilon()).isLessThanOrEqualTo(2.0);
    }
  }

  @Test
  void aGivenSigma_chargesTheGivenLedger() throws Exception {
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("a", new PrivacyBudget(5, 1e-5));
    ledger.open("b", new PrivacyBudget(5, 1e-5));
    PrivateTraining.Plan p = PrivateTraining.of(net(), data(500)).datasets(List.of("a", "b")).ledger(ledger)
        .batchSize(50).steps(4).noiseMultiplier(1.1).build();
    try (DpSgdTrainer t = p.trainer()) {
      t.step();
      assertThat(ledger.history("a").segments()).containsExactly(new Segment(0.1, 1.1, 1));
      assertThat(ledger.history("b").segments()).containsExactly(new Segment(0.1, 1.1, 1));
    }
  }

  @Test
  void settingsThatDoNotMakeARun_areRefusedSayingWhich() {
    LabeledExamples d = data(100);
    assertThatThrownBy(() -> PrivateTraining.of(net(), d).batchSize(10).steps(5).build())
        .hasMessageContaining("the noise multiplier or the target ε, exactly one");
    assertThatThrownBy(() -> PrivateTraining.of(net(), d).batchSize(10).steps(5).epochs(1).noiseMultiplier(1)
        .build()).hasMessageContaining("steps or as epochs, exactly one");
    assertThatThrownBy(() -> PrivateTraining.of(net(), d).batchSize(101).steps(5).noiseMultiplier(1).build())
        .hasMessageContaining("batch size must be in [1, 100]");
    assertThatThrownBy(() -> PrivateTraining.of(net(), d).batchSize(10).steps(5).noiseMultiplier(1).build())
        .hasMessageContaining("give the ledger to charge");
    assertThatThrownBy(() -> PrivateTraining.of(net(), d).batchSize(100).epochs(1000).targetEpsilon(0.01, 1e-5)
        .build()).isInstanceOf(TargetUnreachableException.class);
  }
}
