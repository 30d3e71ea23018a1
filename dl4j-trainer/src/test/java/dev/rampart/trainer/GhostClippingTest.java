package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.junit.jupiter.api.Test;

class GhostClippingTest {

  static MultiLayerNetwork net(Activation hidden) {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(42).updater(new Sgd(0.1))
        .dataType(DataType.DOUBLE)
        .list()
        .layer(new DenseLayer.Builder().nIn(20).nOut(16).activation(hidden).build())
        .layer(new DenseLayer.Builder().nIn(16).nOut(12).activation(hidden).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(12).nOut(5)
            .activation(Activation.SOFTMAX).build())
        .build());
    net.init();
    return net;
  }

  static INDArray[] batch(int size, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[size][20];
    double[][] y = new double[size][5];
    for (int i = 0; i < size; i++) {
      for (int f = 0; f < 20; f++) {
        x[i][f] = r.nextGaussian() * (i % 3 == 0 ? 4 : 0.3); // some examples large: clipped; some small: not
      }
      y[i][r.nextInt(5)] = 1;
    }
    return new INDArray[] {Nd4j.create(x), Nd4j.create(y)};
  }

  /** The reference: DL4J's own backprop, one example at a time, each gradient clipped, then summed. */
  static INDArray naiveClippedSum(MultiLayerNetwork net, INDArray x, INDArray y, double clip, double[] normsOut) {
    INDArray sum = null;
    for (int i = 0; i < x.size(0); i++) {
      net.setInput(x.getRow(i, true));
      net.setLabels(y.getRow(i, true));
      net.computeGradientAndScore();
      INDArray g = net.gradient().gradient().dup();
      double norm = g.norm2Number().doubleValue();
      normsOut[i] = norm;
      g.muli(Math.min(1.0, clip / norm));
      sum = sum == null ? g : sum.addi(g);
    }
    return sum;
  }

  @Test
  void clippedSum_equalsTheNaivePerExampleReference_forEverySupportedActivation() throws Exception {
    for (Activation a : new Activation[] {Activation.RELU, Activation.IDENTITY, Activation.TANH, Activation.SIGMOID}) {
      MultiLayerNetwork net = net(a);
      INDArray[] b = batch(24, 7);
      double[] naiveNorms = new double[24];
      naiveClippedSum(net, b[0], b[1], Double.POSITIVE_INFINITY, naiveNorms);
      double[] sorted = naiveNorms.clone();
      java.util.Arrays.sort(sorted);
      double clip = sorted[12]; // the median: half the examples are clipped
      INDArray expected = naiveClippedSum(net, b[0], b[1], clip, naiveNorms);
      PerExampleClipper ghost = PerExampleClipper.of(net);
      PerExampleClipper.Batch result = ghost.clippedSum(b[0], b[1], clip);
      INDArray actual = net.getGradientsViewArray().dup();
      long clipped = java.util.Arrays.stream(naiveNorms).filter(n -> n > clip).count();
      assertThat(clipped).as(a + ": some examples clipped, some not").isBetween(1L, 23L);
      for (int i = 0; i < 24; i++) {
        assertThat(result.norms()[i]).as(a + " norm " + i).isCloseTo(naiveNorms[i], org.assertj.core.api.Assertions.within(1e-6 * Math.max(1, naiveNorms[i])));
      }
      double maxDiff = actual.sub(expected).amaxNumber().doubleValue();
      assertThat(maxDiff).as(a + ": max |ghost - naive|").isLessThan(1e-4);
    }
  }

  @Test
  void chunkedBatch_givesTheSameClippedSum() throws Exception {
    MultiLayerNetwork net = net(Activation.TANH);
    INDArray[] b = batch(30, 5);
    PerExampleClipper ghost = PerExampleClipper.of(net);
    double[] whole = ghost.clippedSum(b[0], b[1], 0.5).norms();
    INDArray expected = net.getGradientsViewArray().dup();
    ghost.zeroGradient();
    org.nd4j.linalg.indexing.INDArrayIndex all = org.nd4j.linalg.indexing.NDArrayIndex.all();
    double[] first = ghost.addClippedSum(b[0].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 11), all),
        b[1].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 11), all), 0.5).norms();
    double[] rest = ghost.addClippedSum(b[0].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(11, 30), all),
        b[1].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(11, 30), all), 0.5).norms();
    assertThat(net.getGradientsViewArray().sub(expected).amaxNumber().doubleValue()).isLessThan(1e-12);
    assertThat(first.length + rest.length).isEqualTo(whole.length);
    assertThat(rest[0]).isEqualTo(whole[11]);
  }

  @Test
  void batchNormalization_isRejectedWithWhatToDo() {
    MultiLayerNetwork bn = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.RELU).build())
        .layer(new BatchNormalization.Builder().nOut(4).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .build());
    bn.init();
    assertThatThrownBy(() -> PerExampleClipper.of(bn)).isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("batch normalization").hasMessageContaining("remove it");
  }

  @Test
  void unsupportedOutput_isRejected() {
    MultiLayerNetwork mse = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2)
            .activation(Activation.IDENTITY).build())
        .build());
    mse.init();
    assertThatThrownBy(() -> PerExampleClipper.of(mse)).isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("softmax");
  }
}
