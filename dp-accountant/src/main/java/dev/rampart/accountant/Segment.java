package dev.rampart.accountant;

/**
 * A run of identical steps of the Poisson-subsampled Gaussian mechanism: each step samples every example
 * independently with probability {@code sampleRate} and adds Gaussian noise of standard deviation
 * {@code noiseMultiplier} times the clipping norm.
 *
 * @param sampleRate q in [0, 1]
 * @param noiseMultiplier σ ≥ 0 (0 means no noise: unbounded loss unless q is 0)
 * @param steps how many steps, ≥ 0
 */
public record Segment(double sampleRate, double noiseMultiplier, long steps) {
  /** @throws IllegalArgumentException naming the first argument out of range */
  public Segment {
    if (!(sampleRate >= 0.0 && sampleRate <= 1.0)) {
      throw new IllegalArgumentException("sample rate must be in [0, 1], got " + sampleRate);
    }
    if (!(noiseMultiplier >= 0.0)) {
      throw new IllegalArgumentException("noise multiplier must be >= 0, got " + noiseMultiplier);
    }
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }
  }

  /**
   * The one rule for epochs to steps, everywhere in Rampart (jobs, {@code train-local}, {@code privacy noise}):
   * {@code ceil(epochs / q)}, so that a run of N epochs sees every example N times in expectation, at least. A
   * quotient within one part in 10^9 of a whole number counts as that number ({@code 3 / 0.01} is
   * 300.00000000000006 in double precision, and means 300).
   *
   * @throws IllegalArgumentException if {@code epochs} is negative or not finite, {@code q} is not in (0, 1], or
   *     the steps do not fit a long
   */
  public static long stepsForEpochs(double epochs, double q) {
    if (!(epochs >= 0.0) || Double.isInfinite(epochs)) {
      throw new IllegalArgumentException("epochs must be a finite number >= 0, got " + epochs);
    }
    if (!(q > 0.0 && q <= 1.0)) {
      throw new IllegalArgumentException("sample rate must be in (0, 1], got " + q);
    }
    double x = epochs / q;
    double whole = Math.rint(x);
    double steps = Math.abs(x - whole) <= 1e-9 * Math.max(1.0, x) ? whole : Math.ceil(x);
    if (!(steps < 0x1p63)) {
      throw new IllegalArgumentException(epochs + " epochs at sample rate " + q + " are more steps than fit a long");
    }
    return (long) steps;
  }

  /** Whether this segment and {@code other} run the same mechanism (so their steps can be merged). */
  boolean sameMechanism(Segment other) {
    return Double.compare(sampleRate, other.sampleRate) == 0
        && Double.compare(noiseMultiplier, other.noiseMultiplier) == 0;
  }

  Segment withSteps(long newSteps) {
    return new Segment(sampleRate, noiseMultiplier, newSteps);
  }
}
