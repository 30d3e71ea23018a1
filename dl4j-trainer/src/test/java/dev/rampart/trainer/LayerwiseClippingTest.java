package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.junit.jupiter.api.Test;

class LayerwiseClippingTest {

  static MultiLayerNetwork cnn(Activation act, PoolingType pooling) {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).updater(new Sgd(0.1))
        .dataType(DataType.DOUBLE)
        .list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(act).build())
        .layer(new SubsamplingLayer.Builder(pooling).kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(2, 2).nOut(4).stride(1, 1).activation(act).build())
        .layer(new DenseLayer.Builder().nOut(8).activation(act).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX)
            .build())
        .setInputType(InputType.convolutionalFlat(12, 12, 1))
        .build());
    net.init();
    return net;
  }

  static INDArray[] batch(int size, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[size][144];
    double[][] y = new double[size][4];
    for (int i = 0; i < size; i++) {
      for (int f = 0; f < 144; f++) {
        x[i][f] = r.nextGaussian() * (i % 3 == 0 ? 3 : 0.5);
      }
      y[i][r.nextInt(4)] = 1;
    }
    return new INDArray[] {Nd4j.create(x), Nd4j.create(y)};
  }

  @Test
  void convolutionalClippedSum_equalsTheNaivePerExampleReference() throws Exception {
    for (Activation act : new Activation[] {Activation.RELU, Activation.TANH}) {
      for (PoolingType pooling : new PoolingType[] {PoolingType.MAX, PoolingType.AVG}) {
        MultiLayerNetwork net = cnn(act, pooling);
        INDArray[] b = batch(20, 4);
        double[] norms = new double[20];
        GhostClippingTest.naiveClippedSum(net, b[0], b[1], Double.POSITIVE_INFINITY, norms);
        double[] sorted = norms.clone();
        Arrays.sort(sorted);
        double clip = sorted[10];
        INDArray expected = GhostClippingTest.naiveClippedSum(net, b[0], b[1], clip, norms);
        PerExampleClipper clipper = PerExampleClipper.of(net);
        clipper.zeroGradient();
        double[] ours = clipper.addClippedSum(b[0], b[1], clip).norms();
        for (int i = 0; i < 20; i++) {
          assertThat(ours[i]).as(act + "/" + pooling + " norm " + i).isCloseTo(norms[i], within(1e-6 * Math.max(1, norms[i])));
        }
        double diff = net.getGradientsViewArray().sub(expected).amaxNumber().doubleValue();
        assertThat(diff).as(act + "/" + pooling + ": max |ours - naive|").isLessThan(1e-4);
      }
    }
  }
}
