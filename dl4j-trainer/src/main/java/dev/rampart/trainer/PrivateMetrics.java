package dev.rampart.trainer;

/**
 * A differentially private estimate of the training loss and accuracy, as {@link DpSgdTrainer#privateMetrics}
 * releases it (charged as one step before it was computed). Both may fall outside their natural ranges: the noise
 * is added, never clamped away, so that the release stays unbiased.
 *
 * @param loss the mean per-example loss, each clipped to [0, {@value DpSgdTrainer#LOSS_CLIP}], plus noise
 * @param accuracy the fraction of correct predictions, plus noise
 */
public record PrivateMetrics(double loss, double accuracy) {
  /** Whether both values are finite (guaranteed by construction; NonFiniteExampleTest checks it on hostile models). */
  public boolean finite() {
    return Double.isFinite(loss) && Double.isFinite(accuracy);
  }
}
