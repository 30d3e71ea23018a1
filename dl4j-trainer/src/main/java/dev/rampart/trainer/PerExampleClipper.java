package dev.rampart.trainer;

import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Clipped sums of per-example gradients into a network's gradient view, without materialising per-example gradients
 * of dense layers ("ghost clipping"; Goodfellow 2015, Lee and Kifer 2021) and with small per-example kernels for
 * convolutions. One forward pass of its own through the layers' {@link LayerClipper}s (each made by its kind's
 * {@link LayerRule}), keeping what the backward pass needs; one backward pass, in which every layer with parameters
 * adds each example's squared gradient norm; then the clip factors {@code c_i = min(1, C / ||g_i||)} and each
 * layer's share of the clipped sum. DL4J's preprocessors carry activations and errors between layers.
 */
final class PerExampleClipper {
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

  /** Per-example gradient norms of one batch, before clipping (never released: they are not private). */
  record Batch(double[] norms) {}

  private final MultiLayerNetwork net;
  private final LayerClipper[] layers;

  private PerExampleClipper(MultiLayerNetwork net) throws ModelValidationException {
    ModelValidator.requireValid(net);
    this.net = net;
    if (net.getGradientsViewArray() == null) {
      net.initGradientsView();
    }
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
    layers = new LayerClipper[net.getnLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = LayerRule.of(conf.getConf(i).getLayer()).clipper(net, i);
    }
  }

  /** The clipper of a network the private trainer takes. */
  static PerExampleClipper of(MultiLayerNetwork net) throws ModelValidationException {
    return new PerExampleClipper(net);
  }

  /** Zeroes the gradient view before a batch's chunks are added (an empty batch still gets its noise). */
  void zeroGradient() {
    net.getGradientsViewArray().assign(0);
  }

  /** The clipped sum of a batch's per-example gradients, written into the gradient view (the sum, not the mean). */
  Batch clippedSum(INDArray features, INDArray labels, double clipNorm) {
    zeroGradient();
    return addClippedSum(features, labels, clipNorm);
  }

  /**
   * Adds a chunk's clipped per-example gradients to the gradient view. Clipping is per example, so a batch can be
   * processed in chunks of any size with the same result: memory stays bounded however large a Poisson batch comes.
   *
   * @param features {@code [B, features]}
   * @param labels one-hot {@code [B, K]}
   */
  Batch addClippedSum(INDArray features, INDArray labels, double clipNorm) {
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
    int n = layers.length;
    int batch = (int) features.size(0);
    LayerClipper.Forward[] forward = new LayerClipper.Forward[n];
    INDArray a = features;
    for (int i = 0; i < n; i++) {
      InputPreProcessor pre = conf.getInputPreProcess(i);
      forward[i] = layers[i].forward(pre == null ? a : pre.preProcess(a, batch, ws));
      a = forward[i].output();
    }
    double[] squared = new double[batch];
    boolean[] outOfRange = new boolean[batch];
    LayerClipper.Backward[] backward = new LayerClipper.Backward[n];
    INDArray error = labels;
    for (int i = n - 1; i >= 0; i--) {
      backward[i] = layers[i].backward(forward[i], error, i > 0, squared, outOfRange);
      if (i > 0) {
        InputPreProcessor pre = conf.getInputPreProcess(i);
        INDArray below = backward[i].inputError();
        error = pre == null ? below : pre.backprop(below, batch, ws);
      }
    }
    double[] norms = new double[batch];
    float[] factors = clipFactors(squared, outOfRange, clipNorm, norms);
    int[] excluded = excluded(factors);
    INDArray c = Nd4j.createFromArray(factors).castTo(features.dataType());
    for (int i = 0; i < n; i++) {
      layers[i].addClipped(backward[i], c, excluded);
    }
    return new Batch(norms);
  }

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

  /**
   * Adds the ghost norms of a dense layer, {@code (||a_i||² + 1) ||δ_i||²} (weights and bias), to each example's
   * squared norm; in double, as squares of float activations can overflow float.
   */
  static void addDenseNorms(INDArray input, INDArray delta, double[] squared, boolean[] outOfRange) {
    INDArray a = input.castTo(DataType.DOUBLE);
    INDArray d = delta.castTo(DataType.DOUBLE);
    double[] an = a.mul(a).sum(1).toDoubleVector();
    double[] dn = d.mul(d).sum(1).toDoubleVector();
    for (int e = 0; e < squared.length; e++) {
      squared[e] += (an[e] + 1.0) * dn[e];
      outOfRange[e] |= !(an[e] <= MAX_SQUARED_NORM && dn[e] <= MAX_SQUARED_NORM);
    }
  }
}
