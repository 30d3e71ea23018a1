package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Statistical tests at fixed seeds: the bounds are several standard errors wide, so they fail only on a bug. */
class RandomnessTest {
  @Test
  void poissonBatchSizes_followBinomial() {
    int n = 60_000;
    double q = 256.0 / 60_000;
    PoissonSampler sampler = new PoissonSampler(n, q, CryptoRandom.seededForTestsOnly(11));
    int trials = 4_000;
    double sum = 0;
    double sumSq = 0;
    int[] counts = new int[n];
    for (int t = 0; t < trials; t++) {
      int[] batch = sampler.next();
      for (int k = 1; k < batch.length; k++) {
        assertThat(batch[k]).isGreaterThan(batch[k - 1]); // sorted, no repeats
      }
      for (int i : batch) {
        counts[i]++;
      }
      sum += batch.length;
      sumSq += (double) batch.length * batch.length;
    }
    double mean = sum / trials;
    double variance = sumSq / trials - mean * mean;
    double expectedMean = n * q;
    double expectedVariance = n * q * (1 - q);
    // standard error of the mean: sqrt(var / trials) ~ 0.25; of the variance: ~ var * sqrt(2 / trials) ~ 5.7
    assertThat(mean).isBetween(expectedMean - 1.5, expectedMean + 1.5);
    assertThat(variance).isBetween(expectedVariance - 30, expectedVariance + 30);
    // every example is equally likely: the first and last thousand get the same share
    long head = 0;
    long tail = 0;
    for (int i = 0; i < 1000; i++) {
      head += counts[i];
      tail += counts[n - 1 - i];
    }
    double expectedShare = 1000 * trials * q; // ~17,067, sd ~130
    assertThat((double) head).isBetween(expectedShare - 700, expectedShare + 700);
    assertThat((double) tail).isBetween(expectedShare - 700, expectedShare + 700);
  }

  @Test
  void poissonEdgeCases() {
    assertThat(new PoissonSampler(100, 0.0, CryptoRandom.seededForTestsOnly(1)).next()).isEmpty();
    assertThat(new PoissonSampler(5, 1.0, CryptoRandom.seededForTestsOnly(1)).next()).containsExactly(0, 1, 2, 3, 4);
    assertThat(new PoissonSampler(0, 0.5, CryptoRandom.seededForTestsOnly(1)).next()).isEmpty();
    // tiny q: mostly empty batches, handled
    PoissonSampler rare = new PoissonSampler(10, 1e-6, CryptoRandom.seededForTestsOnly(1));
    int total = 0;
    for (int t = 0; t < 1000; t++) {
      total += rare.next().length;
    }
    assertThat(total).isLessThan(3);
  }

  @Test
  void gaussianNoise_hasMeanZeroAndTheRequestedStd_inBothModes() {
    for (boolean secure : new boolean[] {false, true}) {
      GaussianNoise noise = new GaussianNoise(CryptoRandom.seededForTestsOnly(5), secure);
      float[] v = new float[1_000_000];
      double std = 1.3 * 0.7; // sigma * C
      noise.addTo(v, std);
      double sum = 0;
      double sumSq = 0;
      double sum4 = 0;
      int beyond3 = 0;
      for (float x : v) {
        sum += x;
        sumSq += (double) x * x;
        sum4 += Math.pow(x / std, 4);
        beyond3 += Math.abs(x) > 3 * std ? 1 : 0;
      }
      double mean = sum / v.length;
      double sd = Math.sqrt(sumSq / v.length - mean * mean);
      assertThat(mean).as("mean, secure=" + secure).isBetween(-5 * std / 1000, 5 * std / 1000);
      assertThat(sd / std).as("std ratio, secure=" + secure).isBetween(0.995, 1.005);
      assertThat(sum4 / v.length).as("kurtosis, secure=" + secure).isBetween(2.95, 3.05); // Gaussian: 3
      assertThat(beyond3 / (double) v.length).as("tail mass, secure=" + secure).isBetween(0.0024, 0.0030); // 0.0027
    }
  }

  @Test
  void productionRandom_isNotTheSeededOne() {
    assertThat(CryptoRandom.create().seeded()).isFalse();
    assertThat(CryptoRandom.create().nextLong()).isNotEqualTo(CryptoRandom.create().nextLong());
    assertThat(CryptoRandom.seededForTestsOnly(3).nextLong()).isEqualTo(CryptoRandom.seededForTestsOnly(3).nextLong());
  }
}
