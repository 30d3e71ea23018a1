package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

/**
 * Max or average pooling: no parameters, so nothing to clip; its backward pass (DL4J's) carries each example's
 * error to its own input only. It may not end the network.
 */
final class SubsamplingRule implements LayerRule {
  @Override
  public void problems(Layer layer, String where, boolean last, List<String> problems) {
    SubsamplingLayer s = (SubsamplingLayer) layer;
    if (last) {
      problems.add(where + " cannot be the last layer: end with an OutputLayer (softmax)");
    }
    if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
      problems.add(where + ": only MAX and AVG pooling are supported");
    }
  }
}
