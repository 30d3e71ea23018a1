package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The validator reports every problem of every layer at once, each naming the layer and what to use instead. */
class ModelValidatorTest {
  @Test
  void theModelsWeShipHaveNoProblems() {
    assertThat(ModelValidator.validate(Models.mlp(784, 32, 10, new Sgd(0.1), 1).getLayerWiseConfigurations(), 784,
        10)).isEmpty();
    assertThat(ModelValidator.validate(Models.lenet(28, 28, 10, new Sgd(0.1), 1).getLayerWiseConfigurations(), 784,
        10)).isEmpty();
  }

  @Test
  void everyRuleOfEveryLayerIsReportedNotJustTheFirst() {
    MultiLayerConfiguration bad = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.ELU).dropOut(0.5).hasBias(false)
            .build())
        .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(16).nOut(10).activation(Activation.TANH).build())
        .build();
    assertThat(ModelValidator.validate(bad, 784, 10)).containsExactly(
        "layer 0 (DenseLayer): dropout is not supported by the private trainer yet; remove it",
        "layer 0 (DenseLayer): dense layers must have a bias and no layer norm",
        "layer 0 (DenseLayer): activation elu(alpha=1.0) is not supported (use relu, identity, tanh or sigmoid)",
        "layer 1 (OutputLayer): the output must be softmax with cross-entropy (MCXENT or NEGATIVELOGLIKELIHOOD)");
  }

  @Test
  void convolutionalRules_andKindsWithoutARule() {
    MultiLayerConfiguration bad = new NeuralNetConfiguration.Builder().list()
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(6).dilation(2, 2).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.PNORM).pnorm(2).kernelSize(2, 2).stride(2, 2).build())
        .layer(new Deconvolution2D.Builder(2, 2).nOut(4).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(28, 28, 1)).build();
    assertThat(ModelValidator.validate(bad, 784, 10)).containsExactly(
        "layer 0 (ConvolutionLayer): convolutions must be NCHW, undilated, with a bias",
        "layer 1 (SubsamplingLayer): only MAX and AVG pooling are supported",
        "layer 2 (Deconvolution2D) is not supported: the private trainer takes ConvolutionLayer, SubsamplingLayer,"
            + " DenseLayer and one final OutputLayer");
  }

  @Test
  void shapesAreCheckedOnceTheLayersPass_againstTheData() {
    MultiLayerConfiguration conf = Models.mlp(784, 32, 10, new Sgd(0.1), 1).getLayerWiseConfigurations();
    assertThat(ModelValidator.validate(conf, 100, 10))
        .containsExactly("the model's first layer takes 784 inputs but the datasets have 100 features");
    assertThat(ModelValidator.validate(conf, 784, 5))
        .containsExactly("the model's output layer has 10 outputs but the datasets have 5 classes");
    // features and classes unknown (a model file): only the model's own consistency
    assertThat(ModelValidator.validate(conf, 0, 0)).isEmpty();
  }
}
