package dev.rampart.trainer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer's part in per-example clipping, bound to its parameters and gradient views: its forward pass (keeping
 * what its backward pass needs), its backward pass (adding each example's squared gradient norm, and giving the
 * error at its input), and its share of the clipped sum. Made by the layer kind's {@link LayerRule}; driven, layer
 * by layer, by {@link PerExampleClipper}.
 */
interface LayerClipper {
  /** What the forward pass leaves for the backward pass; {@link #output} goes to the next layer. */
  interface Forward {
    INDArray output();
  }

  /** What the backward pass leaves for the clipped sum; {@link #inputError} goes to the layer below. */
  interface Backward {
    /** The error at this layer's input, or null when it was not asked for (the first layer). */
    INDArray inputError();
  }

  /** @param input this layer's input, after its preprocessor: {@code [B, ...]} */
  Forward forward(INDArray input);

  /**
   * @param error the error at this layer's output, for the output layer the one-hot labels
   * @param needInputError whether a layer below needs the error at this layer's input
   * @param squared each example's squared gradient norm so far, to which this layer's parameters add theirs
   * @param outOfRange set for an example whose pieces exceed {@link PerExampleClipper#MAX_SQUARED_NORM}
   */
  Backward backward(Forward forward, INDArray error, boolean needInputError, double[] squared, boolean[] outOfRange);

  /**
   * Adds this layer's clipped per-example gradients into its gradient view.
   *
   * @param factors each example's clip factor {@code [B]}
   * @param excluded the examples (factor 0) that must contribute exactly zero: their rows are zeroed first
   */
  void addClipped(Backward backward, INDArray factors, int[] excluded);
}
