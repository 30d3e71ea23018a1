package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossNegativeLogLikelihood;

/**
 * The output layer: softmax with (unweighted) cross-entropy, whose error at the pre-activation is exactly
 * {@code p - y} per example, as the clipping computes it; last in the network, with a bias.
 */
final class OutputRule implements LayerRule {
  @Override
  public void problems(Layer layer, String where, boolean last, List<String> problems) {
    OutputLayer o = (OutputLayer) layer;
    if (!last) {
      problems.add(where + ": an OutputLayer must be the last layer");
    }
    LayerRule.noDropout(layer, where, problems);
    if (!o.hasBias()) {
      problems.add(where + ": the output layer must have a bias");
    }
    LayerRule.width(layer, where, problems);
    boolean crossEntropy = o.getLossFn() instanceof LossMCXENT || o.getLossFn() instanceof LossNegativeLogLikelihood;
    if (!(o.getActivationFn() instanceof ActivationSoftmax) || !crossEntropy) {
      problems.add(where + ": the output must be softmax with cross-entropy (MCXENT or NEGATIVELOGLIKELIHOOD)");
    }
    if (o.getLossFn() instanceof LossMCXENT loss && loss.getWeights() != null) {
      problems.add(where + ": per-class loss weights are not supported (the private trainer clips the"
          + " unweighted cross-entropy gradient); remove them");
    }
  }

  @Override
  public LayerClipper clipper(MultiLayerNetwork net, int index) {
    return new DenseRule.Clipper(LayerRule.Params.of(net, index), ((OutputLayer) net.getLayerWiseConfigurations()
        .getConf(index).getLayer()).getActivationFn(), true);
  }
}
