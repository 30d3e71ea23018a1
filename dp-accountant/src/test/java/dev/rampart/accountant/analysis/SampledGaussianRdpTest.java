package dev.rampart.accountant.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class SampledGaussianRdpTest {

  /**
   * The defining expectation, integrated numerically: {@code A - 1 = E_{mu0}[(1+u)^a - 1 - a u]} with
   * {@code u = q (exp((2z-1)/(2 s^2)) - 1)}; the integrand is non-negative, so no cancellation.
   */
  static double rdpByIntegration(double q, double sigma, double alpha) {
    double twoS2 = 2 * sigma * sigma;
    double logNorm = -0.5 * Math.log(2 * Math.PI) - Math.log(sigma);
    double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
    double lo = -40 * sigma;
    double hi = Math.max(Math.max(alpha, z0), 1.0) + 40 * sigma;
    double[] breakpoints = Arrays.stream(new double[] {lo, 0.0, 0.5, Math.min(Math.max(z0, lo), hi), alpha, hi})
        .sorted().distinct().toArray();
    double integral = Quadrature.integrate(z -> {
      double logPhi = logNorm - z * z / twoS2;
      double u = q * Math.expm1((2 * z - 1) / twoS2);
      double g;
      if (Math.abs(u) < 1e-3) {
        double term = alpha * u;
        g = 0;
        for (int k = 2; k <= 10; k++) {
          term *= (alpha - k + 1) * u / k;
          g += term;
        }
      } else {
        double logPow = alpha * Math.log1p(u);
        if (logPow + logPhi > -700 && logPow > 600) {
          return Math.exp(logPhi + logPow);
        }
        g = Math.expm1(logPow) - alpha * u;
      }
      return Math.exp(logPhi) * g;
    }, 1e-15, breakpoints);
    return Math.log1p(integral) / (alpha - 1);
  }

  static Stream<Arguments> integrationCases() {
    return Stream.of(
        Arguments.of(0.01, 1.0, 1.1),
        Arguments.of(0.001, 4.0, 1.1), // A - 1 near 4e-9: needs the A - 1 form
        Arguments.of(0.1, 0.5, 1.1), // thousands of terms
        Arguments.of(0.04, 1.5, 3.9),
        Arguments.of(0.5, 4.0, 1.5),
        Arguments.of(0.25, 0.7, 7.3),
        Arguments.of(0.001, 10.0, 1.01), // alpha very close to 1, large sigma
        Arguments.of(0.9, 2.0, 2.5),
        Arguments.of(0.01, 20.0, 1.05),
        Arguments.of(0.004, 1.1, 10.9),
        Arguments.of(0.999, 1.0, 1.7),
        Arguments.of(0.05, 0.8, 5.0), // integer orders go the closed-form way: same answer
        Arguments.of(0.3, 3.0, 32.0),
        // large sigma: terms decay like i^-(alpha+1) until i passes sigma; needs the Euler tail
        Arguments.of(0.5, 256.0, 1.1),
        Arguments.of(0.01, 100.0, 1.5),
        Arguments.of(0.2, 1000.0, 2.7));
  }

  @ParameterizedTest(name = "q={0} sigma={1} alpha={2}")
  @MethodSource("integrationCases")
  void rdp_agreesWithNumericalIntegrationTo1e8(double q, double sigma, double alpha) {
    double expected = rdpByIntegration(q, sigma, alpha);
    assertThat(SampledGaussianRdp.rdp(q, sigma, alpha)).isCloseTo(expected, within(1e-8 * expected));
  }

  @Test
  void specialCases_haveClosedForms() {
    assertThat(SampledGaussianRdp.rdp(0.0, 1.0, 2.5)).isZero();
    assertThat(SampledGaussianRdp.rdp(0.0, 0.0, 2.5)).isZero();
    assertThat(SampledGaussianRdp.rdp(0.5, 0.0, 2.5)).isInfinite();
    assertThat(SampledGaussianRdp.rdp(1.0, 2.0, 3.0)).isEqualTo(3.0 / 8.0);
    assertThat(SampledGaussianRdp.rdp(1.0, 2.0, 1.5)).isEqualTo(1.5 / 8.0);
    assertThat(SampledGaussianRdp.rdp(0.3, Double.POSITIVE_INFINITY, 2.0)).isZero();
  }

  @Test
  void integerOrder_matchesTheBinomialSumDoneDirectly() {
    // A = sum_i C(a,i) (1-q)^(a-i) q^i exp((i^2-i)/(2 s^2)), fine in plain doubles for these values
    double q = 0.2;
    double sigma = 1.3;
    for (int alpha = 2; alpha <= 20; alpha++) {
      double a = 0;
      double binomial = 1;
      for (int i = 0; i <= alpha; i++) {
        a += binomial * Math.pow(1 - q, alpha - i) * Math.pow(q, i) * Math.exp((i * i - i) / (2 * sigma * sigma));
        binomial = binomial * (alpha - i) / (i + 1);
      }
      double expected = Math.log(a) / (alpha - 1);
      assertThat(SampledGaussianRdp.rdp(q, sigma, alpha)).as("alpha=%d", alpha)
          .isCloseTo(expected, within(1e-13 * expected));
    }
  }

  @Test
  void fractionalOrders_joinTheIntegerOrdersSmoothly() {
    // RDP is continuous in alpha: the series at 3 +- 1e-9 brackets the closed form at 3
    double atThree = SampledGaussianRdp.rdp(0.02, 0.9, 3.0);
    assertThat(SampledGaussianRdp.rdp(0.02, 0.9, 3.0 - 1e-9)).isCloseTo(atThree, within(1e-8 * atThree));
    assertThat(SampledGaussianRdp.rdp(0.02, 0.9, 3.0 + 1e-9)).isCloseTo(atThree, within(1e-8 * atThree));
  }

  @Test
  void rdp_growsWithOrderAndSampleRateAndFallsWithNoise() {
    double previous = 0;
    for (double alpha = 1.1; alpha < 40; alpha += 0.7) {
      double r = SampledGaussianRdp.rdp(0.01, 1.0, alpha);
      assertThat(r).isGreaterThan(previous);
      previous = r;
    }
    assertThat(SampledGaussianRdp.rdp(0.02, 1.0, 4.5)).isGreaterThan(SampledGaussianRdp.rdp(0.01, 1.0, 4.5));
    assertThat(SampledGaussianRdp.rdp(0.01, 1.2, 4.5)).isLessThan(SampledGaussianRdp.rdp(0.01, 1.0, 4.5));
  }

  @Test
  void extremeParameters_giveFiniteValuesNoLargerThanTheNextIntegerOrder() {
    double[] qs = {1e-12, 1e-6, 0.001, 0.1, 0.5, 0.9, 0.999999};
    double[] sigmas = {0.02, 0.1, 0.3, 1, 10, 1e3, 1e5, 1e8};
    double[] alphas = {1.0001, 1.01, 1.1, 2.5, 10.9, 100.5, 1000.5, 9999.5};
    for (double q : qs) {
      for (double sigma : sigmas) {
        for (double alpha : alphas) {
          double r = SampledGaussianRdp.rdp(q, sigma, alpha);
          double bound = SampledGaussianRdp.rdp(q, sigma, Math.ceil(alpha));
          assertThat(r).as("q=%s sigma=%s alpha=%s", q, sigma, alpha).isNotNaN().isGreaterThanOrEqualTo(0)
              .isLessThanOrEqualTo(bound * (1 + 1e-9));
        }
      }
    }
  }

  @Test
  void hugeNoise_fallsBackToTheNextIntegerOrder_whichIsConservative() {
    // sigma = 1e8: the fractional series would cancel away every digit
    double fallback = SampledGaussianRdp.rdp(0.5, 1e8, 1.5);
    assertThat(fallback).isEqualTo(SampledGaussianRdp.rdp(0.5, 1e8, 2.0));
    assertThat(fallback).isGreaterThan(0);
    // and small enough to be useful: about q^2 alpha / (2 sigma^2) (1 + ...) for large sigma
    assertThat(fallback).isCloseTo(0.25 * 2 / (2 * 1e16), within(1e-3 * fallback));
  }

  @Test
  void badArguments_areRefusedWithTheirName() {
    assertThatThrownBy(() -> SampledGaussianRdp.rdp(1.5, 1.0, 2.0)).hasMessageContaining("sample rate");
    assertThatThrownBy(() -> SampledGaussianRdp.rdp(Double.NaN, 1.0, 2.0)).hasMessageContaining("sample rate");
    assertThatThrownBy(() -> SampledGaussianRdp.rdp(0.1, -1.0, 2.0)).hasMessageContaining("noise multiplier");
    assertThatThrownBy(() -> SampledGaussianRdp.rdp(0.1, 1.0, 1.0)).hasMessageContaining("order");
    assertThatThrownBy(() -> SampledGaussianRdp.rdp(0.1, 1.0, Double.POSITIVE_INFINITY))
        .hasMessageContaining("order");
    assertThatThrownBy(() -> SampledGaussianRdp.rdp(0.1, 1.0, 1e6)).hasMessageContaining("order");
  }

  @Test
  void powOneMinusQMinusLinear_seriesMatchesClosedFormWhereBothAreAccurate() {
    for (double alpha : new double[] {1.1, 2.5, 10.9}) {
      double q = 0.1;
      double closed = Math.pow(1 - q, alpha) - 1 + alpha * q;
      assertThat(SampledGaussianRdp.powOneMinusQMinusLinear(q, alpha)).isCloseTo(closed, within(1e-13));
    }
    // and keeps relative precision where the closed form cannot: about a(a-1)q^2/2
    double tiny = SampledGaussianRdp.powOneMinusQMinusLinear(1e-9, 1.5);
    assertThat(tiny).isCloseTo(1.5 * 0.5 * 1e-18 / 2, within(1e-27));
  }
}
