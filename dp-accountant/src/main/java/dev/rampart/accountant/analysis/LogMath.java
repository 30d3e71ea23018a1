package dev.rampart.accountant.analysis;

/**
 * Log-space arithmetic and the log of the complementary error function, to double precision.
 *
 * <p>The RDP series multiplies numbers that overflow ({@code exp((i^2 - i) / 2 sigma^2)}) by numbers that
 * underflow ({@code erfc} of arguments in the thousands), so everything here works on logarithms.
 */
public final class LogMath {
  private LogMath() {}

  private static final double SQRT_PI_INV = 0.56418958354775628695; // 1 / sqrt(pi)
  private static final double THRESHOLD = 0.46875;

  // W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-638:
  // near-minimax rational approximations good to about 18 significant digits, in three intervals.
  private static final double[] ERF_A = {
    3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
    3.20937758913846947e03, 1.85777706184603153e-1
  };
  private static final double[] ERF_B = {
    2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03
  };
  private static final double[] ERFC_C = {
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
    2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
    2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8
  };
  private static final double[] ERFC_D = {
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
    1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
    3.43936767414372164e03, 1.23033935480374942e03
  };
  private static final double[] ERFC_P = {
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
    1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2
  };
  private static final double[] ERFC_Q = {
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
    6.05183413124413191e-2, 2.33520497626869185e-3
  };

  /**
   * {@code log(erfc(x))} for every finite x, with a relative error of the underlying erfc of about 1e-15.
   * Never underflows: past x of about 26.5, where erfc itself is below the smallest double, the result
   * comes from Cody's asymptotic form {@code erfc(x) = exp(-x^2) / x * (1/sqrt(pi) - R(1/x^2))} taken in logs.
   */
  public static double logErfc(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x == Double.POSITIVE_INFINITY) {
      return Double.NEGATIVE_INFINITY;
    }
    if (x < -THRESHOLD) {
      // erfc(x) = 2 - erfc(-x), in (1, 2]: no loss of precision in the subtraction
      return Math.log(2.0 - erfcPositive(-x));
    }
    if (x <= THRESHOLD) {
      return Math.log1p(-erfSmall(x));
    }
    return -squareSplit(x) + logScaledErfc(x);
  }

  /** erf(x) for |x| <= 0.46875. */
  private static double erfSmall(double x) {
    double ysq = x * x;
    double num = ERF_A[4] * ysq;
    double den = ysq;
    for (int i = 0; i < 3; i++) {
      num = (num + ERF_A[i]) * ysq;
      den = (den + ERF_B[i]) * ysq;
    }
    return x * (num + ERF_A[3]) / (den + ERF_B[3]);
  }

  /** log(exp(x^2) erfc(x)) for x > 0.46875. */
  private static double logScaledErfc(double x) {
    if (x <= 4.0) {
      double num = ERFC_C[8] * x;
      double den = x;
      for (int i = 0; i < 7; i++) {
        num = (num + ERFC_C[i]) * x;
        den = (den + ERFC_D[i]) * x;
      }
      return Math.log((num + ERFC_C[7]) / (den + ERFC_D[7]));
    }
    if (x >= 6.71e7) {
      // 1 - 1/(2x^2) == 1 in double: erfc(x) exp(x^2) = 1 / (x sqrt(pi))
      return Math.log(SQRT_PI_INV / x);
    }
    double ysq = 1.0 / (x * x);
    double num = ERFC_P[5] * ysq;
    double den = ysq;
    for (int i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]) * ysq;
      den = (den + ERFC_Q[i]) * ysq;
    }
    double r = ysq * (num + ERFC_P[4]) / (den + ERFC_Q[4]);
    return Math.log((SQRT_PI_INV - r) / x);
  }

  /** erfc(y) for y > 0.46875, in linear space (underflows to 0 past about 26.5). */
  private static double erfcPositive(double y) {
    return Math.exp(-squareSplit(y) + logScaledErfc(y));
  }

  /**
   * x^2 computed as hi^2 + (x - hi)(x + hi) with hi = x truncated to 1/16, as Cody does: hi^2 is exact, so
   * exp(-x^2) keeps full relative precision for large x.
   */
  private static double squareSplit(double x) {
    if (x > 1e7) {
      return x * x;
    }
    double hi = Math.floor(x * 16.0) / 16.0;
    return hi * hi + (x - hi) * (x + hi);
  }

  /** log(exp(a) + exp(b)), exact for infinite arguments. */
  public static double logAdd(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    double max = Math.max(a, b);
    if (max == Double.POSITIVE_INFINITY) {
      return max;
    }
    return max + Math.log1p(Math.exp(Math.min(a, b) - max));
  }

  /** log(1 + exp(x)) without overflow. */
  public static double log1pExp(double x) {
    if (x > 36.0) {
      return x + Math.exp(-x); // log1p(exp(-x)) == exp(-x) to double precision here
    }
    return Math.log1p(Math.exp(x));
  }

  /** log(exp(x) - 1) for x >= 0, without overflow; -Infinity at 0. */
  public static double logExpm1(double x) {
    if (x > 36.0) {
      return x + Math.log1p(-Math.exp(-x));
    }
    return Math.log(Math.expm1(x));
  }
}
