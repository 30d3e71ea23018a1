package dev.rampart.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-example gradient clipping without per-example gradients ("ghost clipping"; Goodfellow 2015, Lee and
 * Kifer 2021) for networks of dense layers ending in softmax with cross-entropy. One forward pass keeps each
 * layer's input activations {@code a}; one backward pass gives each layer's output errors {@code δ} (per example,
 * the gradient of that example's loss with respect to the layer's pre-activation). For a dense layer the
 * per-example gradient is the outer product {@code a_i δ_iᵀ} (plus {@code δ_i} for the bias), so its squared norm
 * is {@code (||a_i||² + 1) ||δ_i||²}: norms for the whole batch without materialising any per-example gradient.
 * The clipped sum is then one GEMM per layer, {@code aᵀ diag(c) δ} with {@code c_i = min(1, C / ||g_i||)}.
 */
final class GhostClipping implements PerExampleClipper {
  /** Refuse models beyond this many parameters: a hostile model must not exhaust the machine. */
  static final long MAX_PARAMETERS = 50_000_000L;
  /** Refuse layers wider than this (activation memory is batch × width). */
  static final long MAX_LAYER_WIDTH = 1L << 16;

  /** Why batch normalization is refused, and what to do instead. */
  static final String BATCH_NORM_REASON = "batch normalization mixes the examples of a batch, so one example's"
      + " gradient depends on the others and per-example clipping no longer bounds its influence; remove it (a"
      + " slightly lower learning rate usually makes up for it)";

  private final MultiLayerNetwork net;
  private final List<DenseParams> layers = new ArrayList<>();

  /** One dense or output layer: its weights, bias, activation and gradient views. */
  private record DenseParams(INDArray weights, INDArray bias, IActivation activation, INDArray weightGradient,
      INDArray biasGradient) {}

  GhostClipping(MultiLayerNetwork net) throws ModelValidationException {
    ModelValidator.requireValid(net);
    this.net = net;
    if (net.getGradientsViewArray() == null) {
      net.initGradientsView();
    }
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer layer = net.getLayer(i);
      NeuralNetConfiguration conf = net.getLayerWiseConfigurations().getConf(i);
      BaseLayer layerConf = (BaseLayer) conf.getLayer();
      Map<String, INDArray> grads = layerConf.initializer().getGradientsFromFlattened(conf, layer.getGradientsViewArray());
      layers.add(new DenseParams(layer.getParam("W"), layer.getParam("b"), layerConf.getActivationFn(),
          grads.get("W"), grads.get("b")));
    }
  }

  /** Whether the network has convolution or subsampling layers (and needs {@link LayerwiseClipping}). */
  static boolean convolutional(MultiLayerNetwork net) {
    return convolutional(net.getLayerWiseConfigurations());
  }

  /** Whether the configuration has convolution or subsampling layers (and needs {@link LayerwiseClipping}). */
  static boolean convolutional(org.deeplearning4j.nn.conf.MultiLayerConfiguration conf) {
    for (int i = 0; i < conf.getConfs().size(); i++) {
      org.deeplearning4j.nn.conf.layers.Layer l = conf.getConf(i).getLayer();
      if (l instanceof ConvolutionLayer || l instanceof SubsamplingLayer) {
        return true;
      }
    }
    return false;
  }

  /** Per-example gradient norms of one batch, before clipping (never released: they are not private). */
  record Batch(double[] norms) {}

  /**
   * Computes the clipped sum of per-example gradients of a batch and writes it into the network's gradient
   * view (DL4J's convention: the sum, not the mean).
   *
   * @param features [B, nIn]
   * @param labels one-hot [B, K]
   */
  Batch clippedSum(INDArray features, INDArray labels, double clipNorm) {
    zeroGradient();
    return addClippedSum(features, labels, clipNorm);
  }

  /**
   * Adds a chunk's clipped per-example gradients to the gradient view. Clipping is per example, so a batch can
   * be processed in chunks of any size with the same result: memory stays bounded however large a Poisson
   * batch comes out.
   */
  @Override
  public Batch addClippedSum(INDArray features, INDArray labels, double clipNorm) {
    int depth = layers.size();
    INDArray[] inputs = new INDArray[depth];
    INDArray[] preActivations = new INDArray[depth];
    INDArray a = features;
    for (int l = 0; l < depth; l++) {
      DenseParams p = layers.get(l);
      inputs[l] = a;
      INDArray z = product(a, false, p.weights, false).addiRowVector(p.bias);
      preActivations[l] = z;
      a = p.activation.getActivation(z.dup(), true);
    }
    // softmax + cross-entropy: d(loss_i)/dz_i = p_i - y_i
    INDArray[] deltas = new INDArray[depth];
    deltas[depth - 1] = a.subi(labels);
    for (int l = depth - 2; l >= 0; l--) {
      INDArray epsilon = product(deltas[l + 1], false, layers.get(l + 1).weights, true);
      deltas[l] = layers.get(l).activation.backprop(preActivations[l].dup(), epsilon).getFirst();
    }
    int batch = (int) features.size(0);
    double[] squared = new double[batch];
    boolean[] outOfRange = new boolean[batch];
    for (int l = 0; l < depth; l++) {
      double[] inputNorms = rowSquaredNorms(inputs[l]);
      double[] deltaNorms = rowSquaredNorms(deltas[l]);
      for (int i = 0; i < batch; i++) {
        squared[i] += (inputNorms[i] + 1.0) * deltaNorms[i];
        outOfRange[i] |= !(inputNorms[i] <= MAX_SQUARED_NORM && deltaNorms[i] <= MAX_SQUARED_NORM);
      }
    }
    double[] norms = new double[batch];
    float[] factors = clipFactors(squared, outOfRange, clipNorm, norms);
    int[] excluded = excluded(factors);
    INDArray c = Nd4j.createFromArray(factors).reshape(batch, 1).castTo(features.dataType());
    for (int l = 0; l < depth; l++) {
      DenseParams p = layers.get(l);
      if (excluded.length > 0) {
        // factor 0 is not enough: 0 × Inf = NaN would reach every coordinate of the sum through the GEMM
        inputs[l] = zeroRows(inputs[l].dup(), excluded); // a copy: the first is the caller's features
        zeroRows(deltas[l], excluded);
      }
      INDArray scaled = deltas[l].muliColumnVector(c);
      // the clipped sum straight into the gradient view: W-grad += aᵀ (c ⊙ δ)
      Nd4j.gemm(inputs[l], scaled, p.weightGradient, true, false, 1.0, 1.0);
      p.biasGradient.addi(scaled.sum(true, 0).reshape(p.biasGradient.shape()));
    }
    return new Batch(norms);
  }

  /**
   * The largest squared norm, per example and layer, of an activation, an error or a per-example kernel gradient
   * whose clipped contribution is computed; an example beyond it contributes exactly zero (as a non-finite one).
   * Why: in float, {@code c_i δ_i} for a huge {@code ||g_i||} has a subnormal or zero clip factor, and subnormal
   * products round by up to 100 %; multiplied by a huge activation in the GEMM, such an example was measured to
   * move the clipped sum by more than C (0.54 at C = 0.5, by a crafted model). Below 2^80 (norms up to 2^40,
   * about 1e12) every factor and product stays normal and rounds by one part in 10^7. No trained model comes near
   * it: 784 raw pixels of 255 give a squared norm of 5e7. Zero is a contribution of norm at most C, so the DP
   * analysis is unchanged.
   */
  static final double MAX_SQUARED_NORM = 0x1p80;

  /**
   * Clip factors {@code min(1, C / ||g_i||)} from squared per-example norms (norms written to {@code normsOut}).
   * Fails closed: an example with a non-finite norm, one marked {@code outOfRange} (see {@link #MAX_SQUARED_NORM})
   * or one whose factor would not be a normal float gets factor exactly 0, and then exactly zero contribution
   * (see {@link #excluded}); a float factor never rounds above {@code C / ||g_i||}.
   */
  static float[] clipFactors(double[] squared, boolean[] outOfRange, double clipNorm, double[] normsOut) {
    float[] factors = new float[squared.length];
    for (int i = 0; i < squared.length; i++) {
      normsOut[i] = Math.sqrt(squared[i]);
      float f = !Double.isFinite(normsOut[i]) || outOfRange[i] ? 0f
          : normsOut[i] <= clipNorm ? 1f : Math.nextDown((float) (clipNorm / normsOut[i]));
      factors[i] = f >= Float.MIN_NORMAL ? f : 0f; // Math.nextDown(0f) is negative
    }
    return factors;
  }

  /**
   * The examples with clip factor 0 (see {@link #clipFactors}): they must contribute exactly zero to every sum,
   * so their rows are zeroed before anything is multiplied; the factor alone would not do, as
   * {@code 0 × Inf = NaN}. Which examples these are is never released.
   */
  static int[] excluded(float[] factors) {
    int count = 0;
    for (float f : factors) {
      if (f == 0f) {
        count++;
      }
    }
    int[] out = new int[count];
    for (int i = 0, k = 0; i < factors.length; i++) {
      if (factors[i] == 0f) {
        out[k++] = i;
      }
    }
    return out;
  }

  /** Sets the given rows (first-axis slices, of any rank) of {@code m} to zero, in place; returns {@code m}. */
  static INDArray zeroRows(INDArray m, int[] rows) {
    for (int r : rows) {
      m.slice(r).assign(0);
    }
    return m;
  }

  /**
   * {@code op(a) op(b)} into a fresh c-order matrix, by one GEMM. ND4J's {@code a.mmul(b)} without an output
   * array took four times as long for the same product (measured on a 256×784 by 784×256 float product).
   */
  static INDArray product(INDArray a, boolean transposeA, INDArray b, boolean transposeB) {
    long rows = transposeA ? a.size(1) : a.size(0);
    long cols = transposeB ? b.size(0) : b.size(1);
    INDArray out = Nd4j.createUninitialized(a.dataType(), new long[] {rows, cols}, 'c');
    Nd4j.gemm(a, b, out, transposeA, transposeB, 1.0, 0.0);
    return out;
  }

  private static double[] rowSquaredNorms(INDArray m) {
    INDArray d = m.castTo(DataType.DOUBLE); // squares of float activations can overflow float
    return d.mul(d).sum(1).toDoubleVector();
  }

  /** Zeroes the gradient view (an empty batch still gets its noise). */
  @Override
  public void zeroGradient() {
    net.getGradientsViewArray().assign(0);
  }

  /** Total number of parameters: one noise value each per step. */
  long parameters() {
    return net.numParams();
  }
}
