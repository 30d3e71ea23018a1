package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * A hidden dense layer: its per-example gradient is the outer product of its input and its output error (plus the
 * error for the bias), whose norm the ghost-norm identity gives without materialising it. Needs its bias (the
 * identity counts it) and no layer norm (which would mix features through a statistic the clipping does not see).
 */
final class DenseRule implements LayerRule {
  @Override
  public void problems(Layer layer, String where, boolean last, List<String> problems) {
    DenseLayer d = (DenseLayer) layer;
    LayerRule.noDropout(layer, where, problems);
    if (!d.hasBias() || d.hasLayerNorm()) {
      problems.add(where + ": dense layers must have a bias and no layer norm");
    }
    LayerRule.width(layer, where, problems);
    LayerRule.hiddenActivation(layer, where, problems);
  }
}
