package dev.rampart.trainer;

import java.util.Map;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

/** The registry of {@link LayerRule}s: the layer kinds the private trainer takes, and nothing else. */
final class LayerRules {
  static final Map<Class<?>, LayerRule> RULES = Map.of(
      DenseLayer.class, new DenseRule(),
      OutputLayer.class, new OutputRule(),
      ConvolutionLayer.class, new ConvolutionRule(),
      SubsamplingLayer.class, new SubsamplingRule());

  /** For messages: what the private trainer takes. */
  static final String ACCEPTED = "ConvolutionLayer, SubsamplingLayer, DenseLayer and one final OutputLayer";

  private LayerRules() {}
}
