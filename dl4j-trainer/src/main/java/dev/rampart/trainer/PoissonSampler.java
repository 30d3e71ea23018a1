package dev.rampart.trainer;

import java.util.Arrays;

/**
 * Poisson sampling: each of N examples joins a step's batch independently with probability q, which is what
 * the RDP analysis of the sampled Gaussian assumes (shuffled fixed-size batches would make the reported ε
 * wrong). Batch sizes are Binomial(N, q) and may be 0. Indices are drawn by geometric skips, so a step costs
 * O(qN), not O(N).
 */
public final class PoissonSampler {
  private final int size;
  private final double q;
  private final double logOneMinusQ;
  private final CryptoRandom random;

  public PoissonSampler(int size, double q, CryptoRandom random) {
    if (size < 0) {
      throw new IllegalArgumentException("dataset size must be >= 0, got " + size);
    }
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("sampling rate must be in [0, 1], got " + q);
    }
    this.size = size;
    this.q = q;
    this.logOneMinusQ = Math.log1p(-q);
    this.random = random;
  }

  public double rate() {
    return q;
  }

  /** Expected batch size qN. */
  public double expectedBatchSize() {
    return q * size;
  }

  /** The next batch: sorted indices into the dataset, possibly none. */
  public int[] next() {
    if (q == 0 || size == 0) {
      return new int[0];
    }
    if (q == 1) {
      int[] all = new int[size];
      Arrays.setAll(all, i -> i);
      return all;
    }
    int[] out = new int[Math.max(16, (int) (expectedBatchSize() * 1.5) + 16)];
    int n = 0;
    long index = -1;
    while (true) {
      // the gap to the next selected example is geometric: P(gap = k) = (1-q)^k q
      double skip = Math.floor(Math.log(random.nextDoubleOpenZero()) / logOneMinusQ);
      index += 1 + (long) Math.min(skip, (double) size);
      if (index >= size) {
        return Arrays.copyOf(out, n);
      }
      if (n == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[n++] = (int) index;
    }
  }
}
