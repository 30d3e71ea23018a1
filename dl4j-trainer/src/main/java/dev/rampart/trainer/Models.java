package dev.rampart.trainer;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The built-in models of {@code train-local}. */
public final class Models {
  private Models() {}

  /**
   * A LeNet-5-size CNN for 28×28 grey images: conv 5×5×6, max-pool 2, conv 5×5×16, max-pool 2, dense 120, dense
   * 84, softmax; ReLU throughout (no batch normalization: it breaks per-example privacy).
   */
  public static MultiLayerNetwork lenet(int height, int width, int classes, IUpdater updater, long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .updater(updater)
        .weightInit(WeightInit.XAVIER)
        .list()
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(6).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(16).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(120).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nOut(84).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(height, width, 1))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** 784-256-10, ReLU, softmax + cross-entropy. */
  public static MultiLayerNetwork mlp(int inputs, int hidden, int classes, IUpdater updater, long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .updater(updater)
        .weightInit(WeightInit.XAVIER)
        .list()
        .layer(new DenseLayer.Builder().nIn(inputs).nOut(hidden).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(hidden).nOut(classes)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }
}
