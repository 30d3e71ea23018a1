package dev.rampart.accountant;

/**
 * No noise multiplier meets the target ε: even with σ → ∞ the (ε, δ) conversion (or the history already
 * spent) leaves ε above the target.
 */
public final class TargetUnreachableException extends Exception {
  private final double floorEpsilon;

  public TargetUnreachableException(String message, double floorEpsilon) {
    super(message);
    this.floorEpsilon = floorEpsilon;
  }

  /** The smallest ε any σ can reach here. */
  public double floorEpsilon() {
    return floorEpsilon;
  }
}
