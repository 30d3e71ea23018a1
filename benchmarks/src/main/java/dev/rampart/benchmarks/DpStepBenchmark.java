package dev.rampart.benchmarks;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.trainer.CryptoRandom;
import dev.rampart.trainer.DpSgdTrainer;
import dev.rampart.trainer.LabeledExamples;
import dev.rampart.trainer.ModelValidationException;
import dev.rampart.trainer.Models;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * DP-SGD against plain {@code fit()} on the same data in the same run: blocks of ten non-private fixed-size
 * batches alternate with blocks of ten DP steps (Poisson batches of the same expected size, ghost clipping,
 * secure noise drawn on a background thread, the update), after a warm-up. Figures are medians of per-block
 * throughput; a DP block includes whatever time it waits for noise.
 */
public final class DpStepBenchmark {
  public record Result(double nonPrivateExamplesPerSecond, double dpExamplesPerSecond) {
    public double ratio() {
      return dpExamplesPerSecond / nonPrivateExamplesPerSecond;
    }
  }

  private static final int BLOCK = 10;

  private DpStepBenchmark() {}

  public static Result run(LabeledExamples data, String model, int batch, int steps, int warmup)
      throws ModelValidationException, BudgetExceededException {
    MultiLayerNetwork plain = build(data, model);
    MultiLayerNetwork priv = build(data, model);
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("bench", new PrivacyBudget(1e9, 1e-5));
    double q = (double) batch / data.count();
    DpSgdTrainer trainer = new DpSgdTrainer(priv, data, ledger, List.of("bench"), new DpSgdTrainer.Settings(q, 1.0,
        1.0), CryptoRandom.create());
    INDArray[][] fixed = new INDArray[8][];
    for (int k = 0; k < fixed.length; k++) {
      int[] idx = new int[batch];
      for (int i = 0; i < batch; i++) {
        idx[i] = (k * batch + i) % data.count();
      }
      fixed[k] = tensors(data, idx);
    }
    // blocks of back-to-back steps, alternating: DP throughput is then steady state, background noise
    // generation included, and the plain blocks run with the noise thread idle (its buffers full)
    int blocks = Math.max(1, steps / BLOCK);
    double[] plainRates = new double[blocks];
    double[] dpRates = new double[blocks];
    int warmupBlocks = Math.max(1, warmup / BLOCK);
    for (int b = -warmupBlocks; b < blocks; b++) {
      long t0 = System.nanoTime();
      for (int k = 0; k < BLOCK; k++) {
        INDArray[] xy = fixed[Math.floorMod(b * BLOCK + k, fixed.length)];
        plain.fit(xy[0], xy[1]);
      }
      long t1 = System.nanoTime();
      for (int k = 0; k < BLOCK; k++) {
        trainer.step();
      }
      long t2 = System.nanoTime();
      if (b >= 0) {
        plainRates[b] = BLOCK * batch / ((t1 - t0) / 1e9);
        dpRates[b] = BLOCK * trainer.expectedBatchSize() / ((t2 - t1) / 1e9);
      }
    }
    trainer.close();
    return new Result(median(plainRates), median(dpRates));
  }

  private static MultiLayerNetwork build(LabeledExamples data, String model) {
    return model.equals("lenet")
        ? Models.lenet(data.rows(), data.columns(), data.classes(), new Sgd(0.05), 1)
        : Models.mlp(data.features(), 256, data.classes(), new Sgd(0.05), 1);
  }

  private static INDArray[] tensors(LabeledExamples data, int[] idx) {
    float[] x = new float[idx.length * data.features()];
    float[] y = new float[idx.length * data.classes()];
    for (int i = 0; i < idx.length; i++) {
      data.copyPixels(idx[i], x, i * data.features());
      y[i * data.classes() + data.label(idx[i])] = 1;
    }
    return new INDArray[] {Nd4j.createFromArray(x).reshape(idx.length, data.features()),
        Nd4j.createFromArray(y).reshape(idx.length, data.classes())};
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
  }
}
