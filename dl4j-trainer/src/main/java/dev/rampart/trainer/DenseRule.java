package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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

  @Override
  public LayerClipper clipper(MultiLayerNetwork net, int index) {
    return new Clipper(LayerRule.Params.of(net, index), ((BaseLayer) net.getLayerWiseConfigurations().getConf(index)
        .getLayer()).getActivationFn(), false);
  }

  /**
   * A dense or output layer's clipping: the per-example gradient is {@code a_i δ_iᵀ} (plus {@code δ_i} for the
   * bias), of squared norm {@code (||a_i||² + 1) ||δ_i||²}, so norms need no per-example gradient; the clipped sum is
   * one GEMM, {@code aᵀ diag(c) δ}. For the output layer (softmax with cross-entropy) {@code δ_i = p_i - y_i}.
   */
  static final class Clipper implements LayerClipper {
    private final LayerRule.Params p;
    private final IActivation activation;
    private final boolean output;

    private record Forward(INDArray input, INDArray preActivation, INDArray output) implements LayerClipper.Forward {}

    private record Backward(INDArray input, INDArray delta, INDArray inputError) implements LayerClipper.Backward {}

    Clipper(LayerRule.Params p, IActivation activation, boolean output) {
      this.p = p;
      this.activation = activation;
      this.output = output;
    }

    @Override
    public LayerClipper.Forward forward(INDArray input) {
      INDArray z = PerExampleClipper.product(input, false, p.weights(), false).addiRowVector(p.bias());
      return new Forward(input, z, activation.getActivation(z.dup(), true));
    }

    @Override
    public LayerClipper.Backward backward(LayerClipper.Forward forward, INDArray error, boolean needInputError,
        double[] squared, boolean[] outOfRange) {
      Forward f = (Forward) forward;
      INDArray delta = output ? f.output().sub(error) // softmax + cross-entropy: d(loss_i)/dz_i = p_i - y_i
          : activation.backprop(f.preActivation().dup(), error).getFirst();
      PerExampleClipper.addDenseNorms(f.input(), delta, squared, outOfRange);
      INDArray below = needInputError ? PerExampleClipper.product(delta, false, p.weights(), true) : null;
      return new Backward(f.input(), delta, below);
    }

    @Override
    public void addClipped(LayerClipper.Backward backward, INDArray factors, int[] excluded) {
      Backward b = (Backward) backward;
      INDArray input = b.input();
      if (excluded.length > 0) {
        // factor 0 is not enough: 0 × Inf = NaN would reach every coordinate of the sum through the GEMM
        input = PerExampleClipper.zeroRows(input.dup(), excluded); // a copy: it may be the caller's features
        PerExampleClipper.zeroRows(b.delta(), excluded);
      }
      INDArray scaled = b.delta().muliColumnVector(factors.reshape(factors.length(), 1));
      // the clipped sum straight into the gradient view: W-grad += aᵀ (c ⊙ δ)
      Nd4j.gemm(input, scaled, p.weightGradient(), true, false, 1.0, 1.0);
      p.biasGradient().addi(scaled.sum(true, 0).reshape(p.biasGradient().shape()));
    }
  }
}
