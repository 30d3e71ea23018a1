package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * A plain 2D convolution: its per-example kernel gradient is one product of the output error with the im2col
 * columns (DL4J's layout, NCHW, undilated), small because kernels are; it needs its bias and may not end the
 * network.
 */
final class ConvolutionRule implements LayerRule {
  @Override
  public void problems(Layer layer, String where, boolean last, List<String> problems) {
    ConvolutionLayer c = (ConvolutionLayer) layer;
    if (last) {
      problems.add(where + " cannot be the last layer: end with an OutputLayer (softmax)");
    }
    if (c.getDilation()[0] != 1 || c.getDilation()[1] != 1 || c.getCnn2dDataFormat() != CNN2DFormat.NCHW
        || !c.hasBias()) {
      problems.add(where + ": convolutions must be NCHW, undilated, with a bias");
    }
    LayerRule.noDropout(layer, where, problems);
    LayerRule.width(layer, where, problems);
    LayerRule.hiddenActivation(layer, where, problems);
  }
}
