package dev.rampart.trainer;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Computes clipped sums of per-example gradients into a network's gradient view. */
interface PerExampleClipper {
  /** The clipper for a network: ghost clipping for dense networks, layer-wise for convolutional ones. */
  static PerExampleClipper of(org.deeplearning4j.nn.multilayer.MultiLayerNetwork net) throws ModelValidationException {
    return GhostClipping.convolutional(net) ? new LayerwiseClipping(net) : new GhostClipping(net);
  }

  /** Zeroes the gradient view before a batch's chunks are added. */
  void zeroGradient();

  /** Adds the clipped per-example gradients of a chunk (clipping is per example, so chunks add up). */
  GhostClipping.Batch addClippedSum(INDArray features, INDArray labels, double clipNorm);
}
