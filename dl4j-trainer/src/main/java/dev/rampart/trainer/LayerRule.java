package dev.rampart.trainer;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * What the private trainer requires of one kind of layer, so that per-example clipping bounds each example's
 * gradient: one implementation per accepted layer class, found by {@link #of} (exact classes: a subclass may
 * change what the gradient is). A layer kind without a rule is refused.
 */
interface LayerRule {
  /**
   * Adds this layer's problems, each a sentence starting with {@code where} and saying what to use instead.
   *
   * @param last whether the layer is the network's last
   */
  void problems(Layer layer, String where, boolean last, List<String> problems);

  /**
   * This layer's part in per-example clipping (the network passed validation and has its gradient view).
   *
   * @param index the layer's index in {@code net}
   */
  LayerClipper clipper(MultiLayerNetwork net, int index);

  /** The rule for this layer's exact class, or null if the private trainer does not take it. */
  static LayerRule of(Layer layer) {
    return LayerRules.RULES.get(layer.getClass());
  }

  /** A parameterised layer's weights, bias and their views in the network's gradient. */
  record Params(INDArray weights, INDArray bias, INDArray weightGradient, INDArray biasGradient) {
    static Params of(MultiLayerNetwork net, int index) {
      NeuralNetConfiguration conf = net.getLayerWiseConfigurations().getConf(index);
      org.deeplearning4j.nn.api.Layer layer = net.getLayer(index);
      Map<String, INDArray> grads = ((BaseLayer) conf.getLayer()).initializer()
          .getGradientsFromFlattened(conf, layer.getGradientsViewArray());
      return new Params(layer.getParam("W"), layer.getParam("b"), grads.get("W"), grads.get("b"));
    }
  }

  /** What every parameterised layer shares: no dropout (it is per example and step, not a fixed function). */
  static void noDropout(Layer layer, String where, List<String> problems) {
    if (layer instanceof BaseLayer b && b.getIDropout() != null) {
      problems.add(where + ": dropout is not supported by the private trainer yet; remove it");
    }
  }

  /** The activations of hidden layers whose backward pass the clipping computes. */
  static void hiddenActivation(Layer layer, String where, List<String> problems) {
    IActivation a = ((BaseLayer) layer).getActivationFn();
    if (!(a instanceof ActivationReLU || a instanceof ActivationIdentity || a instanceof ActivationTanH
        || a instanceof ActivationSigmoid)) {
      problems.add(where + ": activation " + a + " is not supported (use relu, identity, tanh or sigmoid)");
    }
  }

  /** Hidden layers (convolution, pooling) cannot end the network. */
  static void notLast(String where, boolean last, List<String> problems) {
    if (last) {
      problems.add(where + " cannot be the last layer: end with an OutputLayer (softmax)");
    }
  }

  /** A layer's width against the activation-memory limit. */
  static void width(Layer layer, String where, List<String> problems) {
    long width = ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) layer).getNOut();
    if (width > ModelValidator.MAX_LAYER_WIDTH) {
      problems.add(where + " is " + width + " wide; the limit is " + ModelValidator.MAX_LAYER_WIDTH);
    }
  }
}
