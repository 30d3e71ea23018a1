package dev.rampart.trainer;

import java.util.Objects;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Differentially private evaluation of a model on a whole private dataset: the count of correct predictions plus
 * Gaussian noise. One example changes the count by at most 1 (sensitivity 1), so noise of standard deviation σ
 * makes the release a Gaussian mechanism with noise multiplier σ over all of the data: for the accountant, one
 * step at sampling rate q = 1 and noise multiplier σ.
 */
public final class DpEvaluation {
  /** Examples per forward pass: bounds activation memory whatever the dataset's size. */
  private static final int CHUNK = 1000;

  /**
   * @param accuracy the noisy accuracy: (correct + N(0, σ²)) / count; may fall outside [0, 1]
   * @param noiseStddev the standard deviation of its noise, σ / count
   */
  public record Result(double accuracy, double noiseStddev) {}

  private DpEvaluation() {}

  /**
   * The DP accuracy of {@code net} on all of {@code data}. The caller charges the privacy ledger of every dataset
   * in {@code data} with one step at q = 1 and noise multiplier {@code noiseMultiplier} <em>before</em> calling:
   * this method spends budget it does not account for.
   *
   * @param noiseMultiplier σ, the noise's standard deviation on the count; must be finite and &gt; 0
   * @param random the cryptographic stream the noise is drawn from (secure-mode Gaussian noise)
   * @throws IllegalArgumentException if σ is not a finite number &gt; 0
   */
  public static Result accuracy(MultiLayerNetwork net, LabeledExamples data, double noiseMultiplier,
      CryptoRandom random) {
    Objects.requireNonNull(net, "net");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(random, "random");
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new IllegalArgumentException("the noise multiplier must be a finite number > 0, got " + noiseMultiplier
          + ": an exact accuracy on private data is not differentially private");
    }
    long correct = correct(net, data);
    double noisy = correct + noiseMultiplier * new GaussianNoise(random, true).next();
    return new Result(noisy / data.count(), noiseMultiplier / data.count());
  }

  /**
   * Which rows of a model's output are finite. An example whose output overflowed counts as wrong, by a rule
   * that does not depend on where argmax puts a NaN: each example still moves a count by 0 or 1, never more.
   */
  static boolean[] finiteRows(INDArray output) {
    INDArray d = output.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
    // a row's sum of |p| is finite exactly when every entry is (NaN and Inf both propagate)
    double[] sums = org.nd4j.linalg.ops.transforms.Transforms.abs(d, true).sum(1).toDoubleVector();
    boolean[] finite = new boolean[sums.length];
    for (int i = 0; i < sums.length; i++) {
      finite[i] = Double.isFinite(sums[i]);
    }
    return finite;
  }

  /** The exact number of correct predictions on {@code data} (not private: callers add noise or use public data). */
  static long correct(MultiLayerNetwork net, LabeledExamples data) {
    long correct = 0;
    for (int start = 0; start < data.count(); start += CHUNK) {
      int n = Math.min(CHUNK, data.count() - start);
      int f = data.features();
      float[] x = new float[n * f];
      for (int i = 0; i < n; i++) {
        data.copyPixels(start + i, x, i * f);
      }
      INDArray output = net.output(Nd4j.createFromArray(x).reshape(n, f), false);
      long[] predicted = output.argMax(1).toLongVector();
      boolean[] finite = finiteRows(output);
      for (int i = 0; i < n; i++) {
        if (finite[i] && predicted[i] == data.label(start + i)) {
          correct++;
        }
      }
    }
    return correct;
  }
}
