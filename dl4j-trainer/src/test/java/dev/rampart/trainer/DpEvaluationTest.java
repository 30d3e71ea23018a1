package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

class DpEvaluationTest {
  @Test
  void noiselessOrNonFiniteSigma_isRefused() {
    MultiLayerNetwork net = Models.mlp(4, 3, 2, new Sgd(0.1), 1);
    LabeledExamples data = LabeledExamples.of(2, 4, new float[8], new int[] {0, 1}, 2);
    for (double sigma : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> DpEvaluation.accuracy(net, data, sigma, CryptoRandom.seededForTestsOnly(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("noise multiplier");
    }
  }

  @Test
  void noisyAccuracy_isCentredOnTheExactOne_withTheStatedSpread() throws Exception {
    LabeledExamples data = IdxReader.read(IdxReaderTest.FASHION, "t10k", 10).head(200);
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Sgd(0.1), 4);
    double exact = DpSgdTrainer.accuracy(net, data);
    double sigma = 5.0;
    CryptoRandom random = CryptoRandom.seededForTestsOnly(11);
    int draws = 1_000;
    double sum = 0;
    double sumSquares = 0;
    for (int k = 0; k < draws; k++) {
      DpEvaluation.Result r = DpEvaluation.accuracy(net, data, sigma, random);
      assertThat(r.noiseStddev()).isEqualTo(sigma / 200);
      sum += r.accuracy();
      sumSquares += r.accuracy() * r.accuracy();
    }
    double mean = sum / draws;
    double sd = Math.sqrt(sumSquares / draws - mean * mean);
    double stated = sigma / 200; // 0.025
    assertThat(mean).isCloseTo(exact, within(5 * stated / Math.sqrt(draws))); // 5 standard errors
    assertThat(sd).isCloseTo(stated, within(0.1 * stated)); // the sd's standard error is 2.2 %
  }
}
