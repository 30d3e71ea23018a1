package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
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

  /**
   * The step's scratch workspace is reused from chunk to chunk and grows when a chunk is larger than any before:
   * whatever the chunk sizes, each update is exactly the naive per-example clipped sum's (dense and convolutional
   * networks; batches split into two chunks). The second network trains on this thread after the first step was
   * closed (and its workspace destroyed), as a coordinator's job thread runs one job after another.
   */
  @Test
  void stepsThroughTheScratchWorkspace_equalTheNaiveClippedSum_asChunkSizesVaryAndGrow() throws Exception {
    for (boolean convolutional : new boolean[] {false, true}) {
      MultiLayerNetwork net = convolutional ? LayerwiseClippingTest.cnn(Activation.RELU,
          org.deeplearning4j.nn.conf.layers.PoolingType.MAX) : GhostClippingTest.net(Activation.RELU);
      double lr = 0.1; // both test networks use Sgd(0.1)
      try (DpSgdStep step = new DpSgdStep(net, CryptoRandom.seededForTestsOnly(3))) {
        int[] sizes = {20, 7, 31, 31, 12, 40};
        for (int k = 0; k < sizes.length; k++) {
          int n = sizes[k];
          INDArray[] b = convolutional ? LayerwiseClippingTest.batch(n, 10 + k) : GhostClippingTest.batch(n, 10 + k);
          double[] norms = new double[n];
          GhostClippingTest.naiveClippedSum(net, b[0], b[1], Double.POSITIVE_INFINITY, norms);
          double[] sorted = norms.clone();
          java.util.Arrays.sort(sorted);
          double clip = sorted[n / 2];
          INDArray expected = net.params().dup().subi(
              GhostClippingTest.naiveClippedSum(net, b[0], b[1], clip, norms).muli(lr / 25.0));
          int split = n / 3;
          java.util.List<INDArray[]> chunks = java.util.List.of(
              new INDArray[] {b[0].get(NDArrayIndex.interval(0, split), NDArrayIndex.all()),
                  b[1].get(NDArrayIndex.interval(0, split), NDArrayIndex.all())},
              new INDArray[] {b[0].get(NDArrayIndex.interval(split, n), NDArrayIndex.all()),
                  b[1].get(NDArrayIndex.interval(split, n), NDArrayIndex.all())});
          double[] ours = step.apply(chunks.iterator(), clip, 0.0, 25.0).norms();
          assertThat(ours).hasSize(n);
          for (int i = 0; i < n; i++) {
            assertThat(ours[i]).isCloseTo(norms[i], org.assertj.core.api.Assertions.within(1e-6 * Math.max(1, norms[i])));
          }
          double diff = net.params().sub(expected).amaxNumber().doubleValue();
          assertThat(diff).as((convolutional ? "cnn" : "mlp") + " step " + k + " (" + n + " examples)")
              .isLessThan(1e-6);
        }
      }
    }
  }

  @Test
  void emptyBatch_stillGetsNoiseAndAnUpdate() throws Exception {
    MultiLayerNetwork net = GhostClippingTest.net(Activation.RELU);
    INDArray before = net.params().dup();
    DpSgdStep step = new DpSgdStep(net, CryptoRandom.seededForTestsOnly(2));
    PerExampleClipper.Batch b = step.apply(null, null, 1.0, 1.0, 10.0);
    assertThat(b.norms()).isEmpty();
    assertThat(net.params().sub(before).amaxNumber().doubleValue()).isGreaterThan(0.0);
  }
}
