package dev.rampart.accountant;

import dev.rampart.accountant.analysis.SampledGaussianRdp;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Rényi-DP accountant for DP-SGD: composes the RDP of Poisson-subsampled Gaussian steps over a grid of
 * orders and converts the total to (ε, δ).
 *
 * <p>Thread-safe. The RDP curve of each (q, σ) is computed once and kept in a bounded cache: the fractional
 * orders need a series of up to tens of thousands of terms, and calibration evaluates many σ.
 */
public final class RdpAccountant {
  private static final RdpAccountant DEFAULT = new RdpAccountant(Orders.defaults(), Conversion.IMPROVED);
  private static final int CACHE_ENTRIES = 4096;

  /** Largest σ calibration tries before declaring a target unreachable. */
  private static final double MAX_NOISE_MULTIPLIER = 1e9;

  private final Orders orders;
  private final Conversion conversion;
  private final Map<CurveKey, double[]> curves;

  private record CurveKey(double q, double sigma) {}

  private RdpAccountant(Orders orders, Conversion conversion) {
    this.orders = orders;
    this.conversion = conversion;
    this.curves =
        java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<CurveKey, double[]> eldest) {
                return size() > CACHE_ENTRIES;
              }
            });
  }

  /** The default orders ({@link Orders#defaults()}) and the {@link Conversion#IMPROVED} conversion; shared. */
  public static RdpAccountant defaults() {
    return DEFAULT;
  }

  /** An accountant with its own grid, conversion and cache. */
  public static RdpAccountant of(Orders orders, Conversion conversion) {
    return new RdpAccountant(orders, conversion);
  }

  public Orders orders() {
    return orders;
  }

  public Conversion conversion() {
    return conversion;
  }

  /** The RDP of one step at every order of the grid (a fresh array). */
  public double[] rdp(double q, double sigma) {
    return curve(q, sigma).clone();
  }

  private double[] curve(double q, double sigma) {
    CurveKey key = new CurveKey(q, sigma);
    double[] cached = curves.get(key);
    if (cached == null) {
      cached = SampledGaussianRdp.rdp(q, sigma, orders.toArray());
      curves.put(key, cached);
    }
    return cached;
  }

  /** The total RDP of a history at every order of the grid: the sum over segments of steps × RDP. */
  public double[] rdp(PrivacyHistory history) {
    double[] total = new double[orders.size()];
    for (Segment s : history.segments()) {
      double[] one = curve(s.sampleRate(), s.noiseMultiplier());
      for (int k = 0; k < total.length; k++) {
        // 0 * Infinity would be NaN: a segment either contributes (steps > 0) or is not in the history
        total[k] += s.steps() * one[k];
      }
    }
    return total;
  }

  /** The (ε, δ) guarantee of a whole history. */
  public PrivacyGuarantee epsilon(PrivacyHistory history, double delta) {
    checkDelta(delta);
    return convert(rdp(history), delta);
  }

  /** The (ε, δ) guarantee of {@code steps} steps at sampling rate q and noise multiplier σ. */
  public PrivacyGuarantee epsilon(double q, double sigma, long steps, double delta) {
    return epsilon(PrivacyHistory.of(new Segment(q, sigma, steps)), delta);
  }

  /**
   * Converts a total RDP curve to (ε, δ), minimising over the grid. No loss at any order (q = 0 or no steps)
   * means the mechanism reveals nothing: ε = 0 exactly, rather than the conversion's slack.
   */
  public PrivacyGuarantee convert(double[] totalRdp, double delta) {
    checkDelta(delta);
    if (totalRdp.length != orders.size()) {
      throw new IllegalArgumentException(
          "RDP curve has " + totalRdp.length + " values for " + orders.size() + " orders");
    }
    boolean noLoss = true;
    for (double r : totalRdp) {
      noLoss &= r == 0.0;
    }
    if (noLoss) {
      return new PrivacyGuarantee(0.0, delta, Double.NaN, false);
    }
    return minimise(totalRdp, delta);
  }

  private PrivacyGuarantee minimise(double[] totalRdp, double delta) {
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    int bestIndex = -1;
    for (int k = 0; k < totalRdp.length; k++) {
      double eps = conversion.epsilonAt(orders.get(k), totalRdp[k], logDelta);
      if (eps < best) {
        best = eps;
        bestIndex = k;
      }
    }
    if (bestIndex < 0) {
      return new PrivacyGuarantee(Double.POSITIVE_INFINITY, delta, Double.NaN, false);
    }
    boolean edge = bestIndex == 0 || bestIndex == totalRdp.length - 1;
    // the conversions can dip below 0 for δ close to 1; ε = 0 is then the honest (and valid) bound
    return new PrivacyGuarantee(Math.max(0.0, best), delta, orders.get(bestIndex), edge);
  }

  /**
   * The smallest noise multiplier σ for which {@code steps} steps at sampling rate q meet {@code targetEpsilon}
   * at δ, to within {@code tolerance}: the returned ε is in [target − tolerance, target].
   *
   * @throws TargetUnreachableException if no σ meets the target
   */
  public NoiseCalibration calibrateNoise(
      double q, long steps, double targetEpsilon, double delta, double tolerance)
      throws TargetUnreachableException {
    return calibrateNoise(PrivacyHistory.empty(), q, steps, targetEpsilon, delta, tolerance);
  }

  /**
   * As {@link #calibrateNoise(double, long, double, double, double)}, after a history already spent: the σ
   * for which {@code prior} followed by the new steps meets the target.
   */
  public NoiseCalibration calibrateNoise(
      PrivacyHistory prior, double q, long steps, double targetEpsilon, double delta, double tolerance)
      throws TargetUnreachableException {
    new Segment(q, 0.0, steps); // validates q and steps
    checkDelta(delta);
    if (!(targetEpsilon >= 0.0) || Double.isInfinite(targetEpsilon)) {
      throw new IllegalArgumentException("target epsilon must be a finite number >= 0, got " + targetEpsilon);
    }
    if (!(tolerance > 0.0) || Double.isInfinite(tolerance)) {
      throw new IllegalArgumentException("epsilon tolerance must be a finite number > 0, got " + tolerance);
    }
    if (q == 0.0 || steps == 0) {
      PrivacyGuarantee g = epsilon(prior, delta);
      if (g.epsilon() > targetEpsilon) {
        throw new TargetUnreachableException(
            "the history already spent ε=" + g.epsilon() + " > target " + targetEpsilon, g.epsilon());
      }
      return new NoiseCalibration(0.0, g);
    }
    // σ → ∞ adds (almost) nothing: the conversion of the prior alone, without the "no loss" shortcut
    double[] priorRdp = rdp(prior);
    double floor = minimise(priorRdp, delta).epsilon();
    if (floor >= targetEpsilon) {
      throw new TargetUnreachableException(
          String.format(
              java.util.Locale.ROOT,
              "target ε=%s is unreachable at δ=%s: even unbounded noise gives ε ≥ %.6g%s;"
                  + " raise the target ε or δ",
              targetEpsilon,
              delta,
              floor,
              prior.isEmpty() ? " (the slack of the (ε, δ) conversion)" : " (budget already spent)"),
          floor);
    }

    double lo;
    double hi = 1.0;
    PrivacyGuarantee atHi = epsilonWith(prior, q, hi, steps, delta);
    if (atHi.epsilon() > targetEpsilon) {
      do {
        lo = hi;
        hi *= 2.0;
        if (hi > MAX_NOISE_MULTIPLIER) {
          throw new TargetUnreachableException(
              "target ε=" + targetEpsilon + " needs σ > " + MAX_NOISE_MULTIPLIER + "; raise the target",
              floor);
        }
        atHi = epsilonWith(prior, q, hi, steps, delta);
      } while (atHi.epsilon() > targetEpsilon);
    } else {
      lo = hi / 2.0;
      PrivacyGuarantee atLo;
      while ((atLo = epsilonWith(prior, q, lo, steps, delta)).epsilon() <= targetEpsilon) {
        hi = lo;
        atHi = atLo;
        lo /= 2.0; // terminates: as σ → 0 the loss of a step with q > 0 grows without bound
      }
    }
    // invariant: ε(lo) > target >= ε(hi); ε falls as σ grows
    while (targetEpsilon - atHi.epsilon() > tolerance && hi - lo > 1e-15 * hi) {
      double mid = 0.5 * (lo + hi);
      PrivacyGuarantee atMid = epsilonWith(prior, q, mid, steps, delta);
      if (atMid.epsilon() <= targetEpsilon) {
        hi = mid;
        atHi = atMid;
      } else {
        lo = mid;
      }
    }
    return new NoiseCalibration(hi, atHi);
  }

  private PrivacyGuarantee epsilonWith(
      PrivacyHistory prior, double q, double sigma, long steps, double delta) {
    return epsilon(prior.plus(new Segment(q, sigma, steps)), delta);
  }

  /**
   * The most steps at sampling rate q and noise multiplier σ that keep ε within {@code epsilonBudget} at δ;
   * {@link Long#MAX_VALUE} when steps cost nothing (q = 0).
   */
  public long maxSteps(double q, double sigma, double epsilonBudget, double delta) {
    return maxSteps(PrivacyHistory.empty(), q, sigma, epsilonBudget, delta);
  }

  /** As {@link #maxSteps(double, double, double, double)}, after {@code prior} has been spent. */
  public long maxSteps(PrivacyHistory prior, double q, double sigma, double epsilonBudget, double delta) {
    new Segment(q, sigma, 0); // validates q and σ
    checkDelta(delta);
    if (!(epsilonBudget >= 0.0)) {
      throw new IllegalArgumentException("epsilon budget must be >= 0, got " + epsilonBudget);
    }
    if (!fits(prior, q, sigma, 1, epsilonBudget, delta)) {
      return 0;
    }
    long lo = 1; // fits
    long hi = 2;
    while (fits(prior, q, sigma, hi, epsilonBudget, delta)) {
      lo = hi;
      if (hi > Long.MAX_VALUE / 2) {
        return Long.MAX_VALUE;
      }
      hi *= 2;
    }
    while (hi - lo > 1) { // lo fits, hi does not
      long mid = lo + (hi - lo) / 2;
      if (fits(prior, q, sigma, mid, epsilonBudget, delta)) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private boolean fits(
      PrivacyHistory prior, double q, double sigma, long steps, double epsilonBudget, double delta) {
    return epsilonWith(prior, q, sigma, steps, delta).epsilon() <= epsilonBudget;
  }

  static void checkDelta(double delta) {
    if (!(delta > 0.0 && delta < 1.0)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
  }
}
