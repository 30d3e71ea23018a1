package dev.rampart.accountant.analysis;

/**
 * Rényi differential privacy of one step of the Poisson-subsampled Gaussian mechanism.
 *
 * <p>Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (2019): with
 * {@code mu0 = N(0, sigma^2)}, {@code mu1 = N(1, sigma^2)} and {@code mu = (1 - q) mu0 + q mu1}, the RDP at
 * order alpha is {@code log(A_alpha) / (alpha - 1)} where {@code A_alpha = E_{z ~ mu0}[(mu(z) / mu0(z))^alpha]}.
 * Integer orders use the closed binomial sum (Section 3.3); fractional orders the two infinite series of
 * Section 3.4, split at {@code z0 = sigma^2 log(1/q - 1) + 1/2}. Everything is summed in log space.
 *
 * <p>Pure functions, thread-safe. A curve over the default 151 orders costs about half a millisecond (the
 * fractional series' tail is summed by Euler's transform): callers that need the same (q, sigma) twice cache
 * it. Where the fractional series cannot keep 1e-9 relative precision (sigma in the thousands and beyond),
 * the next integer order's exact value stands in as a conservative bound.
 */
public final class SampledGaussianRdp {
  private SampledGaussianRdp() {}

  /**
   * Relative size, against the running sum, below which the terms of the alternating fractional series may
   * be dropped: the tail of an alternating series with decreasing terms is smaller than its first term, so
   * the truncation error stays below one unit in the last place of a double.
   */
  private static final double LOG_TAIL_TOLERANCE = Math.log(0x1p-56);

  /**
   * Far more terms than the direct sum plus Euler's transform of the tail need; past it the routine gives up
   * and {@link #rdp(double, double, double)} falls back to a conservative bound.
   */
  private static final int MAX_TERMS = 1_000_000;

  /** The largest order accepted: the integer-order sum has alpha terms. */
  public static final double MAX_ORDER = 10_000.0;

  /**
   * The RDP at order {@code alpha} of one step with sampling rate {@code q} and noise multiplier
   * {@code sigma} (noise standard deviation over sensitivity).
   *
   * @return the RDP, 0 when q is 0, {@code +Infinity} when sigma is 0 and q is positive
   * @throws IllegalArgumentException if q is outside [0, 1], sigma is negative or NaN, or alpha is not in
   *     (1, {@value #MAX_ORDER}]
   */
  public static double rdp(double q, double sigma, double alpha) {
    checkArguments(q, sigma, alpha);
    if (q == 0.0) {
      return 0.0;
    }
    if (sigma == 0.0) {
      return Double.POSITIVE_INFINITY;
    }
    if (sigma == Double.POSITIVE_INFINITY) {
      return 0.0;
    }
    if (q == 1.0) {
      // no subsampling: the plain Gaussian mechanism, D_alpha(N(1, s^2) || N(0, s^2)) = alpha / (2 s^2)
      return alpha / (2.0 * sigma * sigma);
    }
    double inverseTwoSigmaSquared = 1.0 / (2.0 * sigma * sigma);
    if (Double.isInfinite(inverseTwoSigmaSquared)) {
      return Double.POSITIVE_INFINITY; // sigma below ~1e-154: no meaningful noise
    }
    if (alpha == Math.rint(alpha)) {
      return LogMath.log1pExp(logAMinusOneIntegerOrder(q, inverseTwoSigmaSquared, (long) alpha))
          / (alpha - 1.0);
    }
    double logAMinusOne = logAMinusOneFractionalOrder(q, sigma, alpha);
    if (Double.isNaN(logAMinusOne)) {
      // the series cancelled away too many digits (sigma in the thousands and beyond, where the RDP is
      // tiny anyway): RDP is non-decreasing in the order, so the next integer order's exact value is a
      // valid, conservative bound
      return rdp(q, sigma, Math.ceil(alpha));
    }
    return LogMath.log1pExp(logAMinusOne) / (alpha - 1.0);
  }

  /** The RDP at each of {@code orders}; see {@link #rdp(double, double, double)}. */
  public static double[] rdp(double q, double sigma, double[] orders) {
    double[] out = new double[orders.length];
    for (int k = 0; k < orders.length; k++) {
      out[k] = rdp(q, sigma, orders[k]);
    }
    return out;
  }

  static void checkArguments(double q, double sigma, double alpha) {
    if (!(q >= 0.0 && q <= 1.0)) {
      throw new IllegalArgumentException("sample rate q must be in [0, 1], got " + q);
    }
    if (!(sigma >= 0.0)) {
      throw new IllegalArgumentException("noise multiplier sigma must be >= 0, got " + sigma);
    }
    if (!(alpha > 1.0 && alpha <= MAX_ORDER)) {
      throw new IllegalArgumentException("RDP order alpha must be a number in (1, " + MAX_ORDER + "], got "
          + alpha);
    }
  }

  /**
   * {@code log(A_alpha - 1)} for integer alpha. Since the binomial weights sum to one,
   * {@code A - 1 = sum_{i>=2} C(alpha, i) (1-q)^(alpha-i) q^i expm1((i^2 - i) / 2 sigma^2)}: all terms are
   * positive and nothing cancels, so tiny RDP values (small q, large sigma) keep full relative precision.
   */
  static double logAMinusOneIntegerOrder(double q, double inverseTwoSigmaSquared, long alpha) {
    double logQ = Math.log(q);
    double logOneMinusQ = Math.log1p(-q);
    double logBinomial = 0.0; // log C(alpha, i), built up by C(alpha, i) = C(alpha, i-1) (alpha - i + 1) / i
    LogSum sum = new LogSum();
    for (long i = 1; i <= alpha; i++) {
      logBinomial += Math.log((double) (alpha - i + 1) / i);
      if (i < 2) {
        continue;
      }
      double exponent = (double) i * (i - 1) * inverseTwoSigmaSquared;
      sum.add(logBinomial + (alpha - i) * logOneMinusQ + i * logQ + LogMath.logExpm1(exponent), false);
    }
    return sum.log();
  }

  /**
   * {@code log(A_alpha - 1)} for fractional alpha, by the two series of Mironov et al. 2019, Section 3.4.
   *
   * <p>Summing A itself and subtracting 1 would lose all precision when the RDP is tiny (small q, large
   * sigma: A - 1 near 1e-9 leaves 7 digits). Instead, with {@code u = q (e^Y - 1)}, {@code Y = (2z-1)/2s^2}
   * and {@code E[u] = 0}: {@code A - 1 = E[(1+u)^alpha - 1 - alpha u]}. Below z0 the series' first two terms
   * ({@code i = 0, 1}) meet {@code 1 + alpha u} in closed form, leaving coefficients of order q^2; above z0
   * the whole series A1 is kept and {@code 1 + alpha u} is subtracted as two erfc terms, which only matter
   * when z0 is small, that is when A - 1 is large anyway.
   *
   * @return log(A - 1), or NaN if the terms cancelled away more than {@link LogSum#MAX_LOST_BITS} bits or
   *     the series did not converge
   */
  static double logAMinusOneFractionalOrder(double q, double sigma, double alpha) {
    double logQ = Math.log(q);
    double logOneMinusQ = Math.log1p(-q);
    double z0 = sigma * sigma * (logOneMinusQ - logQ) + 0.5;
    double sqrtTwoSigma = Math.sqrt(2.0) * sigma;
    double logHalf = Math.log(0.5);

    LogSum sum = new LogSum();
    // below z0, i = 0 and 1 against 1 + alpha u = (1 - alpha q) + alpha q e^Y:
    //   [(1-q)^alpha - 1 + alpha q] P(z < z0) + alpha q [(1-q)^(alpha-1) - 1] E[e^Y; z < z0]
    double c0 = powOneMinusQMinusLinear(q, alpha); // (1-q)^alpha - 1 + alpha q >= 0
    double c1 = alpha * q * Math.expm1((alpha - 1.0) * logOneMinusQ); // <= 0
    sum.add(Math.log(c0) + logHalf + LogMath.logErfc(-z0 / sqrtTwoSigma), false);
    sum.add(Math.log(-c1) + logHalf + LogMath.logErfc((1.0 - z0) / sqrtTwoSigma), true);
    // above z0: minus (1 - alpha q) P(z >= z0) and alpha q E[e^Y; z >= z0]
    double oneMinusAlphaQ = 1.0 - alpha * q;
    if (oneMinusAlphaQ != 0.0) {
      sum.add(Math.log(Math.abs(oneMinusAlphaQ)) + logHalf + LogMath.logErfc(z0 / sqrtTwoSigma),
          oneMinusAlphaQ > 0);
    }
    sum.add(Math.log(alpha) + logQ + logHalf + LogMath.logErfc((z0 - 1.0) / sqrtTwoSigma), true);

    Terms terms = new Terms(q, sigma, alpha);
    double previous = Double.POSITIVE_INFINITY;
    long nextTailAttempt = 0;
    long tailAttemptGap = 4;
    while (terms.index < MAX_TERMS) {
      boolean alternating = terms.index > alpha + 1.0; // C(alpha, i) changes sign at every step from here
      double logTerm = terms.logMagnitude();
      if (alternating && logTerm <= previous
          && logTerm < sum.logMagnitudeBound() + LOG_TAIL_TOLERANCE) {
        return sum.logIfPrecise(); // the rest of an alternating, decreasing series is smaller than this term
      }
      if (alternating && terms.index >= nextTailAttempt) {
        if (addEulerTail(sum, terms.copy(), logTerm)) {
          return sum.logIfPrecise();
        }
        nextTailAttempt = terms.index + tailAttemptGap;
        tailAttemptGap *= 2;
      }
      sum.add(logTerm, terms.negative);
      previous = logTerm;
      terms.advance();
    }
    return Double.NaN; // not converged: the caller falls back to a bound
  }

  private static final int EULER_TERMS = 48;

  /**
   * Adds the tail {@code sum_{k>=0} (-1)^k a_{n+k}} of the alternating series from the current term on, by
   * Euler's transform {@code sum_j (-1)^j (Delta^j a)_n / 2^(j+1)}, if it converges to double precision
   * within {@link #EULER_TERMS} differences. The terms decay only polynomially (like i^-(alpha+2), or
   * i^-(alpha+1) while i is below the noise scale sigma), so summing them one by one can take billions of
   * terms for large sigma; their magnitudes are smooth in i, so the differences vanish fast. The difference
   * table is built one term at a time, so a transform that converges early costs only the terms it used.
   *
   * @param logFirst log of the magnitude of the current term, {@code from.logMagnitude()}
   * @return whether the tail was added (if not, nothing was)
   */
  private static boolean addEulerTail(LogSum sum, Terms from, double logFirst) {
    boolean negative = from.negative;
    // diagonal[m] holds Delta^m a_{n+j-m} after the j-th new term: its last entry is (Delta^j a)_n
    double[] diagonal = new double[EULER_TERMS + 1];
    double tail = 0.0;
    double lastSize = Double.POSITIVE_INFINITY;
    double weight = 0.5;
    double logTolerance = sum.logMagnitudeBound() + LOG_TAIL_TOLERANCE - logFirst;
    for (int j = 0; j <= EULER_TERMS; j++) {
      double value = j == 0 ? 1.0 : Math.exp(from.logMagnitude() - logFirst); // a_{n+j} / a_n
      from.advance();
      double carry = value;
      for (int m = 0; m < j; m++) {
        double next = carry - diagonal[m];
        diagonal[m] = carry;
        carry = next;
      }
      diagonal[j] = carry;
      double term = weight * carry; // (Delta^j a)_n / 2^(j+1)
      double size = Math.abs(term);
      tail += (j % 2 == 0) ? term : -term;
      if (Math.log(size) < logTolerance && size < lastSize) {
        if (tail > 0) {
          sum.add(Math.log(tail) + logFirst, negative);
        } else if (tail < 0) {
          sum.add(Math.log(-tail) + logFirst, !negative);
        }
        return true;
      }
      if (size > lastSize) {
        return false; // differences growing: not smooth enough here yet, sum further directly
      }
      lastSize = size;
      weight *= 0.5;
    }
    return false;
  }

  /**
   * The terms of both series at index i (A0 from i = 2, its i = 0, 1 being in closed form; A1 from 0),
   * which share the sign of C(alpha, i): {@code log(|S0_i| + |S1_i|)}.
   */
  private static final class Terms {
    private final double alpha;
    private final double logQ;
    private final double logOneMinusQ;
    private final double inverseTwoSigmaSquared;
    private final double z0;
    private final double sqrtTwoSigma;
    long index;
    double logBinomial; // log |C(alpha, i)|
    boolean negative; // sign of C(alpha, i)

    Terms(double q, double sigma, double alpha) {
      this(alpha, Math.log(q), Math.log1p(-q), 1.0 / (2.0 * sigma * sigma),
          sigma * sigma * (Math.log1p(-q) - Math.log(q)) + 0.5, Math.sqrt(2.0) * sigma);
    }

    Terms copy() {
      Terms t = new Terms(alpha, logQ, logOneMinusQ, inverseTwoSigmaSquared, z0, sqrtTwoSigma);
      t.index = index;
      t.logBinomial = logBinomial;
      t.negative = negative;
      return t;
    }

    private Terms(double alpha, double logQ, double logOneMinusQ, double inverseTwoSigmaSquared, double z0,
        double sqrtTwoSigma) {
      this.alpha = alpha;
      this.logQ = logQ;
      this.logOneMinusQ = logOneMinusQ;
      this.inverseTwoSigmaSquared = inverseTwoSigmaSquared;
      this.z0 = z0;
      this.sqrtTwoSigma = sqrtTwoSigma;
    }

    double logMagnitude() {
      double i = index;
      double j = alpha - i;
      double logHalf = -0.6931471805599453;
      double logS1 = logBinomial + j * logQ + i * logOneMinusQ
          + (j * j - j) * inverseTwoSigmaSquared
          + logHalf + LogMath.logErfc((z0 - j) / sqrtTwoSigma);
      if (index < 2) {
        return logS1;
      }
      double logS0 = logBinomial + i * logQ + j * logOneMinusQ
          + (i * i - i) * inverseTwoSigmaSquared
          + logHalf + LogMath.logErfc((i - z0) / sqrtTwoSigma);
      return LogMath.logAdd(logS0, logS1);
    }

    void advance() {
      double ratio = (alpha - index) / (index + 1.0);
      logBinomial += Math.log(Math.abs(ratio));
      if (ratio < 0) {
        negative = !negative;
      }
      index++;
    }
  }

  /**
   * {@code (1-q)^alpha - 1 + alpha q}, which is of order q^2: for small q its binomial series
   * {@code sum_{k>=2} C(alpha, k) (-q)^k} avoids the cancellation of the closed form.
   */
  static double powOneMinusQMinusLinear(double q, double alpha) {
    if (q > 0.125 || alpha * q > 0.5) {
      // no harmful cancellation here (the result is at least ~0.1 alpha q), while the series' terms
      // would grow before they shrink
      return Math.expm1(alpha * Math.log1p(-q)) + alpha * q;
    }
    double term = -alpha * q; // C(alpha, 1) (-q)
    double sum = 0.0;
    for (int k = 2; k < 200; k++) {
      term *= -(alpha - k + 1) * q / k; // C(alpha, k) (-q)^k
      sum += term;
      if (Math.abs(term) < 1e-18 * Math.abs(sum)) {
        break;
      }
    }
    return sum;
  }

  /**
   * A running sum of signed terms given by their logs, scaled by its largest term so that nothing
   * overflows: value = acc * exp(scale).
   */
  static final class LogSum {
    /** Bits of the largest term that cancellation may eat before the sum is deemed imprecise (~1e-9 left). */
    static final int MAX_LOST_BITS = 24;

    private double scale = Double.NEGATIVE_INFINITY;
    private double acc = 0.0;

    void add(double logMagnitude, boolean negative) {
      if (logMagnitude == Double.NEGATIVE_INFINITY) {
        return;
      }
      double term = negative ? -1.0 : 1.0;
      if (logMagnitude > scale) {
        acc = acc * Math.exp(scale - logMagnitude) + term;
        scale = logMagnitude;
      } else {
        acc += term * Math.exp(logMagnitude - scale);
      }
    }

    /** log of the sum; the sum must be positive (the series here are integrals of positive functions). */
    double log() {
      if (scale == Double.NEGATIVE_INFINITY) {
        return Double.NEGATIVE_INFINITY;
      }
      if (!(acc > 0.0)) {
        throw new ArithmeticException("RDP series lost all precision (partial sum " + acc + ")");
      }
      return scale + Math.log(acc);
    }

    /**
     * log of the sum, or NaN if it is not positive or cancellation left it below 2^-{@value #MAX_LOST_BITS}
     * of the largest term added (its relative error is then above ~1e-9).
     */
    double logIfPrecise() {
      if (scale == Double.NEGATIVE_INFINITY) {
        return Double.NEGATIVE_INFINITY;
      }
      if (!(acc > Math.scalb(1.0, -MAX_LOST_BITS)) || Double.isInfinite(scale)) {
        return Double.NaN;
      }
      return scale + Math.log(acc);
    }

    /** log of the current |sum|, or of the largest term when the partial sum is not yet positive. */
    double logMagnitudeBound() {
      return acc > 0.0 ? scale + Math.log(acc) : scale;
    }
  }
}
