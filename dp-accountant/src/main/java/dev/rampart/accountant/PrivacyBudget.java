package dev.rampart.accountant;

/**
 * The most a dataset may spend across all jobs: (ε, δ).
 *
 * @param epsilon ε, a finite number ≥ 0
 * @param delta δ in (0, 1)
 */
public record PrivacyBudget(double epsilon, double delta) {
  /** @throws IllegalArgumentException naming the value out of range */
  public PrivacyBudget {
    if (!(epsilon >= 0.0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("budget epsilon must be a finite number >= 0, got " + epsilon);
    }
    RdpAccountant.checkDelta(delta);
  }
}
