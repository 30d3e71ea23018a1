package dev.rampart.accountant;

import java.util.Locale;

/**
 * A charge would take a dataset over its privacy budget; nothing was charged. Says what is left and what
 * would still fit: how many steps at the requested σ, or which σ the requested steps would need.
 */
public final class BudgetExceededException extends Exception {
  private final String datasetId;
  private final PrivacyBudget budget;
  private final double spentEpsilon;
  private final double epsilonAfterCharge;
  private final Segment requested;
  private final long stepsThatFit;
  private final double noiseMultiplierNeeded;

  BudgetExceededException(
      String datasetId,
      PrivacyBudget budget,
      double spentEpsilon,
      double epsilonAfterCharge,
      Segment requested,
      long stepsThatFit,
      double noiseMultiplierNeeded) {
    super(message(datasetId, budget, spentEpsilon, epsilonAfterCharge, requested, stepsThatFit,
        noiseMultiplierNeeded));
    this.datasetId = datasetId;
    this.budget = budget;
    this.spentEpsilon = spentEpsilon;
    this.epsilonAfterCharge = epsilonAfterCharge;
    this.requested = requested;
    this.stepsThatFit = stepsThatFit;
    this.noiseMultiplierNeeded = noiseMultiplierNeeded;
  }

  private static String message(
      String datasetId,
      PrivacyBudget budget,
      double spent,
      double after,
      Segment requested,
      long stepsThatFit,
      double sigmaNeeded) {
    StringBuilder m = new StringBuilder();
    m.append(String.format(Locale.ROOT,
        "dataset %s allows ε ≤ %s at δ=%s and has spent ε=%.6g (%.6g left); %d steps at q=%s, σ=%s"
            + " would bring it to ε=%.6g",
        datasetId, budget.epsilon(), budget.delta(), spent, Math.max(0.0, budget.epsilon() - spent),
        requested.steps(), requested.sampleRate(), requested.noiseMultiplier(), after));
    m.append(": ");
    if (stepsThatFit > 0) {
      m.append("at σ=").append(requested.noiseMultiplier()).append(" at most ").append(stepsThatFit)
          .append(" steps still fit");
    } else {
      m.append("not one more step fits at σ=").append(requested.noiseMultiplier());
    }
    if (Double.isFinite(sigmaNeeded)) {
      m.append(String.format(Locale.ROOT, ", or raise σ to %.4g for all %d steps", sigmaNeeded,
          requested.steps()));
    } else {
      m.append(", and no σ fits all ").append(requested.steps()).append(" steps");
    }
    return m.toString();
  }

  public String datasetId() {
    return datasetId;
  }

  public PrivacyBudget budget() {
    return budget;
  }

  /** ε spent before the refused charge. */
  public double spentEpsilon() {
    return spentEpsilon;
  }

  /** ε the dataset would have spent had the charge gone through. */
  public double epsilonAfterCharge() {
    return epsilonAfterCharge;
  }

  /** ε still available: budget minus spent. */
  public double remainingEpsilon() {
    return Math.max(0.0, budget.epsilon() - spentEpsilon);
  }

  public Segment requested() {
    return requested;
  }

  /** The most steps at the requested q and σ that still fit (0 if none). */
  public long stepsThatFit() {
    return stepsThatFit;
  }

  /** The smallest σ (to 1e-3 in ε) at which all requested steps fit; {@code NaN} if none does. */
  public double noiseMultiplierNeeded() {
    return noiseMultiplierNeeded;
  }
}
