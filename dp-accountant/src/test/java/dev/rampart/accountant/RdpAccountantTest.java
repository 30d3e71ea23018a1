package dev.rampart.accountant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RdpAccountantTest {
  private final RdpAccountant accountant = RdpAccountant.defaults();
  private final RdpAccountant classic = RdpAccountant.of(Orders.defaults(), Conversion.CLASSIC);

  @Test
  void knownValue_sigma15_q004_2250steps() {
    PrivacyGuarantee g = accountant.epsilon(0.04, 1.5, 2250, 1e-5);
    // the 7.32911117143 is a double-precision figure; mpmath at 50 digits gives 7.32911117148417424
    assertThat(g.epsilon()).isCloseTo(7.32911117148417424, within(1e-12 * 7.33));
    assertThat(g.epsilon()).isCloseTo(7.32911117143, within(1e-9 * 7.33));
    assertThat(g.order()).isEqualTo(3.9);
    assertThat(g.atGridEdge()).isFalse();
    assertThat(g.delta()).isEqualTo(1e-5);
  }

  @Test
  void tfPrivacyMnistTutorial_publishedValues() {
    double q = 256.0 / 60_000;
    long sixtyEpochs = (long) Math.ceil(60 * 60_000 / 256.0); // TF Privacy's compute_dp_sgd_privacy
    assertThat(classic.epsilon(q, 1.1, sixtyEpochs, 1e-5).epsilon()).isCloseTo(3.01, within(0.005));
    long oneEpoch = (long) Math.ceil(60_000 / 256.0);
    assertThat(classic.epsilon(q, 1.1, oneEpoch, 1e-5).epsilon()).isCloseTo(1.03, within(0.005));
    // the improved conversion is never worse
    assertThat(accountant.epsilon(q, 1.1, sixtyEpochs, 1e-5).epsilon()).isLessThan(3.0);
  }

  @Test
  void defaultOrders_areTheUsualGrid() {
    Orders o = Orders.defaults();
    assertThat(o.size()).isEqualTo(151);
    assertThat(o.get(0)).isEqualTo(1 + 1 / 10.0);
    assertThat(o.get(98)).isEqualTo(1 + 99 / 10.0);
    assertThat(o.get(99)).isEqualTo(12.0);
    assertThat(o.largest()).isEqualTo(63.0);
  }

  @Test
  void epsilon_growsWithStepsAndSampleRate_fallsWithNoise() {
    double previous = 0;
    for (long steps : new long[] {1, 10, 100, 1_000, 10_000, 100_000}) {
      double e = accountant.epsilon(0.01, 1.0, steps, 1e-5).epsilon();
      assertThat(e).isGreaterThan(previous);
      previous = e;
    }
    previous = 0;
    for (double q : new double[] {0.001, 0.01, 0.1, 0.5, 1.0}) {
      double e = accountant.epsilon(q, 1.0, 100, 1e-5).epsilon();
      assertThat(e).isGreaterThan(previous);
      previous = e;
    }
    previous = Double.POSITIVE_INFINITY;
    for (double sigma : new double[] {0.5, 0.8, 1.0, 2.0, 4.0}) {
      double e = accountant.epsilon(0.01, sigma, 1000, 1e-5).epsilon();
      assertThat(e).isLessThan(previous);
      previous = e;
    }
  }

  @Test
  void improvedConversion_isNeverLooserThanClassic() {
    for (double q : new double[] {0.001, 0.05, 0.5}) {
      for (double sigma : new double[] {0.6, 1.0, 3.0}) {
        assertThat(accountant.epsilon(q, sigma, 500, 1e-6).epsilon())
            .isLessThanOrEqualTo(classic.epsilon(q, sigma, 500, 1e-6).epsilon());
      }
    }
  }

  @Test
  void noLoss_isExactlyZero_andNoNoiseIsInfinite() {
    assertThat(accountant.epsilon(0.0, 1.0, 1000, 1e-5).epsilon()).isZero();
    assertThat(accountant.epsilon(0.3, 1.0, 0, 1e-5).epsilon()).isZero();
    assertThat(accountant.epsilon(PrivacyHistory.empty(), 1e-5).epsilon()).isZero();
    PrivacyGuarantee none = accountant.epsilon(0.1, 0.0, 1, 1e-5);
    assertThat(none.epsilon()).isInfinite();
    assertThat(none.order()).isNaN();
  }

  @Test
  void optimumAtEdge_isFlagged() {
    assertThat(accountant.epsilon(0.001, 4.0, 10, 1e-5).atGridEdge()).isTrue(); // wants orders above 63
    assertThat(accountant.epsilon(0.5, 0.5, 10_000, 1e-5).atGridEdge()).isTrue(); // wants orders below 1.1
    assertThat(accountant.epsilon(0.01, 1.0, 1_000, 1e-5).atGridEdge()).isFalse();
  }

  @Test
  void gaussianMechanism_matchesItsClosedForm() {
    // q = 1: RDP = T a / (2 s^2); classic ε = min_a T a/(2 s^2) - log δ/(a-1)
    RdpAccountant fine = RdpAccountant.of(Orders.of(2.0, 3.0, 5.0, 8.0), Conversion.CLASSIC);
    double expected = Double.POSITIVE_INFINITY;
    for (double a : new double[] {2, 3, 5, 8}) {
      expected = Math.min(expected, 10 * a / (2 * 4.0) - Math.log(1e-5) / (a - 1));
    }
    assertThat(fine.epsilon(1.0, 2.0, 10, 1e-5).epsilon()).isCloseTo(expected, within(1e-12));
  }

  @Test
  void heterogeneousHistory_composesAdditively() {
    PrivacyHistory h = PrivacyHistory.of(new Segment(0.01, 1.0, 300), new Segment(0.02, 1.3, 200),
        new Segment(0.01, 1.0, 100));
    double[] total = accountant.rdp(h);
    double[] a = accountant.rdp(0.01, 1.0);
    double[] b = accountant.rdp(0.02, 1.3);
    for (int k = 0; k < total.length; k++) {
      assertThat(total[k]).isCloseTo(400 * a[k] + 200 * b[k], within(1e-12 * total[k]));
    }
    assertThat(accountant.epsilon(h, 1e-5).epsilon())
        .isGreaterThan(accountant.epsilon(0.01, 1.0, 400, 1e-5).epsilon());
  }

  @Test
  void history_isRunLengthCompressed() {
    PrivacyHistory h = PrivacyHistory.empty();
    for (int k = 0; k < 1000; k++) {
      h = h.plus(new Segment(0.01, 1.1, 1));
    }
    h = h.plus(new Segment(0.01, 1.2, 5)).plus(new Segment(0.01, 1.2, 0)).plus(new Segment(0.01, 1.2, 5));
    assertThat(h.segments()).containsExactly(new Segment(0.01, 1.1, 1000), new Segment(0.01, 1.2, 10));
    assertThat(h.totalSteps()).isEqualTo(1010);
  }

  @Test
  void calibrateNoise_meetsTargetWithinTolerance_andIsSmallest() throws TargetUnreachableException {
    double q = 256.0 / 60_000;
    NoiseCalibration c = accountant.calibrateNoise(q, 14_063, 3.0, 1e-5, 1e-4);
    assertThat(c.guarantee().epsilon()).isLessThanOrEqualTo(3.0).isGreaterThanOrEqualTo(3.0 - 1e-4);
    assertThat(accountant.epsilon(q, c.noiseMultiplier(), 14_063, 1e-5).epsilon())
        .isEqualTo(c.guarantee().epsilon());
    // a visibly smaller σ misses the target
    assertThat(accountant.epsilon(q, c.noiseMultiplier() * 0.999, 14_063, 1e-5).epsilon()).isGreaterThan(3.0);
  }

  @Test
  void calibrateNoise_worksForLargeAndSmallNoise() throws TargetUnreachableException {
    NoiseCalibration big = accountant.calibrateNoise(0.5, 10_000, 1.0, 1e-6, 1e-3);
    assertThat(big.noiseMultiplier()).isGreaterThan(10);
    assertThat(big.guarantee().epsilon()).isBetween(1.0 - 1e-3, 1.0);
    NoiseCalibration small = accountant.calibrateNoise(0.001, 1, 50.0, 1e-5, 1e-3);
    assertThat(small.noiseMultiplier()).isLessThan(0.5);
    assertThat(small.guarantee().epsilon()).isBetween(50.0 - 1e-3, 50.0);
  }

  @Test
  void calibrateNoise_belowTheConversionFloor_isUnreachable() {
    assertThatThrownBy(() -> accountant.calibrateNoise(0.01, 100, 0.05, 1e-5, 1e-3))
        .isInstanceOf(TargetUnreachableException.class)
        .hasMessageContaining("unreachable")
        .satisfies(e -> assertThat(((TargetUnreachableException) e).floorEpsilon()).isBetween(0.05, 0.2));
  }

  @Test
  void calibrateNoise_withNothingToPay_needsNoNoise() throws TargetUnreachableException {
    assertThat(accountant.calibrateNoise(0.0, 100, 1.0, 1e-5, 1e-3).noiseMultiplier()).isZero();
    assertThat(accountant.calibrateNoise(0.1, 0, 1.0, 1e-5, 1e-3).noiseMultiplier()).isZero();
  }

  @Test
  void maxSteps_isTheLastStepThatFits() {
    long n = accountant.maxSteps(0.01, 1.1, 3.0, 1e-5);
    assertThat(n).isGreaterThan(100);
    assertThat(accountant.epsilon(0.01, 1.1, n, 1e-5).epsilon()).isLessThanOrEqualTo(3.0);
    assertThat(accountant.epsilon(0.01, 1.1, n + 1, 1e-5).epsilon()).isGreaterThan(3.0);
    assertThat(accountant.maxSteps(0.5, 0.5, 0.05, 1e-5)).isZero();
    assertThat(accountant.maxSteps(0.0, 1.0, 1.0, 1e-5)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void maxSteps_afterAHistory_leavesLess() {
    PrivacyHistory spent = PrivacyHistory.of(new Segment(0.02, 1.0, 200));
    long fresh = accountant.maxSteps(0.01, 1.1, 3.0, 1e-5);
    long after = accountant.maxSteps(spent, 0.01, 1.1, 3.0, 1e-5);
    assertThat(after).isPositive().isLessThan(fresh);
    assertThat(accountant.epsilon(spent.plus(new Segment(0.01, 1.1, after)), 1e-5).epsilon())
        .isLessThanOrEqualTo(3.0);
    assertThat(accountant.epsilon(spent.plus(new Segment(0.01, 1.1, after + 1)), 1e-5).epsilon())
        .isGreaterThan(3.0);
  }

  @Test
  void customOrders_areValidated() {
    assertThatThrownBy(() -> Orders.of()).hasMessageContaining("empty");
    assertThatThrownBy(() -> Orders.of(1.0, 2.0)).hasMessageContaining("(1,");
    assertThatThrownBy(() -> Orders.of(3.0, 2.0)).hasMessageContaining("increasing");
    assertThatThrownBy(() -> Orders.of(2.0, Double.NaN)).hasMessageContaining("NaN");
    assertThat(RdpAccountant.of(Orders.of(1.5, 2, 4, 8, 16, 32, 64, 128, 256), Conversion.IMPROVED)
        .epsilon(0.001, 4.0, 10, 1e-5).epsilon())
        .isLessThan(accountant.epsilon(0.001, 4.0, 10, 1e-5).epsilon());
  }

  @Test
  void badDelta_isRefused() {
    assertThatThrownBy(() -> accountant.epsilon(0.1, 1, 1, 0)).hasMessageContaining("delta");
    assertThatThrownBy(() -> accountant.epsilon(0.1, 1, 1, 1)).hasMessageContaining("delta");
    assertThatThrownBy(() -> new Segment(0.1, 1, -1)).hasMessageContaining("steps");
  }
}
