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

  /** Whether this segment and {@code other} run the same mechanism (so their steps can be merged). */
  boolean sameMechanism(Segment other) {
    return Double.compare(sampleRate, other.sampleRate) == 0
        && Double.compare(noiseMultiplier, other.noiseMultiplier) == 0;
  }

  Segment withSteps(long newSteps) {
    return new Segment(sampleRate, noiseMultiplier, newSteps);
  }
}
