package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.config.IUpdater;
import org.junit.jupiter.api.Test;

class DpSgdStepTest {
  @Test
  void withoutClippingOrNoise_aStepEqualsFit_forSgdNesterovAndAdam() throws Exception {
    for (IUpdater updater : new IUpdater[] {new Sgd(0.05), new Nesterovs(0.05, 0.9), new Adam(1e-3)}) {
      MultiLayerNetwork ours = GhostClippingTest.net(Activation.RELU);
      ours.getLayerWiseConfigurations().getConfs().forEach(c -> ((org.deeplearning4j.nn.conf.layers.BaseLayer) c.getLayer()).setIUpdater(updater));
      ours = new MultiLayerNetwork(ours.getLayerWiseConfigurations().clone());
      ours.init();
      assertThat(((org.deeplearning4j.nn.conf.layers.BaseLayer) ours.getLayerWiseConfigurations().getConf(0).getLayer())
          .getIUpdater()).isEqualTo(updater);
      MultiLayerNetwork theirs = new MultiLayerNetwork(ours.getLayerWiseConfigurations().clone());
      theirs.init(ours.params().dup(), true);
      INDArray[] b = GhostClippingTest.batch(16, 3);
      DpSgdStep step = new DpSgdStep(ours, CryptoRandom.seededForTestsOnly(1));
      for (int k = 0; k < 3; k++) { // several steps: updater state (momentum, Adam moments) must agree too
        step.apply(b[0], b[1], 1e12, 0.0, 16);
        theirs.fit(b[0], b[1]);
      }
      double diff = ours.params().sub(theirs.params()).amaxNumber().doubleValue();
      assertThat(diff).as(updater.getClass().getSimpleName()).isLessThan(1e-9);
    }
  }

  @Test
  void emptyBatch_stillGetsNoiseAndAnUpdate() throws Exception {
    MultiLayerNetwork net = GhostClippingTest.net(Activation.RELU);
    INDArray before = net.params().dup();
    DpSgdStep step = new DpSgdStep(net, CryptoRandom.seededForTestsOnly(2));
    GhostClipping.Batch b = step.apply(null, null, 1.0, 1.0, 10.0);
    assertThat(b.norms()).isEmpty();
    assertThat(net.params().sub(before).amaxNumber().doubleValue()).isGreaterThan(0.0);
  }
}
