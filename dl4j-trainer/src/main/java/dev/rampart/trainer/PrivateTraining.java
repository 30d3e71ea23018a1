package dev.rampart.trainer;

import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.RdpAccountant;
import dev.rampart.accountant.Segment;
import dev.rampart.accountant.TargetUnreachableException;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * One way to set up private training, in the spirit of Opacus's {@code make_private}: a network and its data in,
 * a {@link DpSgdTrainer} with its DP plan out. Give the noise ({@link #noiseMultiplier}) or a target
 * ({@link #targetEpsilon}, which calibrates σ so that the run's steps and its metric releases together cost at most
 * ε at δ, from an empty history); the batch size sets the Poisson sample rate q = batch / examples; the length is
 * {@link #steps} or {@link #epochs} (one rule: {@link Segment#stepsForEpochs}). Without a {@link #ledger}, one is
 * opened for each dataset with the target as its budget, so the run can never spend more.
 *
 * <pre>{@code
 * PrivateTraining.Plan p = PrivateTraining.of(net, examples).datasets(List.of("local")).batchSize(256).epochs(15)
 *     .clipNorm(1.0).targetEpsilon(3.0, 1e-5).metricReleases(15).build();
 * p.trainer().step();
 * }</pre>
 */
public final class PrivateTraining {
  /** Calibration's tolerance on ε (the calibrated σ never overshoots the target). */
  public static final double CALIBRATION_TOLERANCE = 1e-3;

  private final MultiLayerNetwork net;
  private final LabeledExamples data;
  private List<String> datasetIds = List.of("local");
  private PrivacyLedger ledger;
  private int batchSize = 256;
  private long steps;
  private double epochs;
  private double clipNorm = 1.0;
  private double noiseMultiplier = Double.NaN;
  private double targetEpsilon = Double.NaN;
  private double delta = Double.NaN;
  private long metricReleases;
  private CryptoRandom random;

  private PrivateTraining(MultiLayerNetwork net, LabeledExamples data) {
    this.net = Objects.requireNonNull(net, "net");
    this.data = Objects.requireNonNull(data, "data");
  }

  /** Private training of {@code net} (built by {@link ModelConfigs#build} or {@link Models}) on {@code data}. */
  public static PrivateTraining of(MultiLayerNetwork net, LabeledExamples data) {
    return new PrivateTraining(net, data);
  }

  /** The datasets whose budgets every step is charged to (default: one, named "local"). */
  public PrivateTraining datasets(List<String> ids) {
    this.datasetIds = List.copyOf(ids);
    return this;
  }

  /** The ledger to charge; it must have an account for every dataset (default: a new one, see the class). */
  public PrivateTraining ledger(PrivacyLedger ledger) {
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    return this;
  }

  /** The expected batch size (Poisson sampling: q = batch / examples). Default 256. */
  public PrivateTraining batchSize(int batchSize) {
    this.batchSize = batchSize;
    return this;
  }

  /** The number of steps (or give {@link #epochs}). */
  public PrivateTraining steps(long steps) {
    this.steps = steps;
    return this;
  }

  /** The length in epochs, ⌈epochs / q⌉ steps (or give {@link #steps}). */
  public PrivateTraining epochs(double epochs) {
    this.epochs = epochs;
    return this;
  }

  /** The per-example clipping norm C. Default 1.0. */
  public PrivateTraining clipNorm(double clipNorm) {
    this.clipNorm = clipNorm;
    return this;
  }

  /** The noise multiplier σ (noise stddev σC); give it or {@link #targetEpsilon}. */
  public PrivateTraining noiseMultiplier(double sigma) {
    this.noiseMultiplier = sigma;
    return this;
  }

  /** The (ε, δ) the whole run may cost; σ is calibrated to it. Give it or {@link #noiseMultiplier}. */
  public PrivateTraining targetEpsilon(double epsilon, double delta) {
    this.targetEpsilon = epsilon;
    this.delta = delta;
    return this;
  }

  /** DP metric releases the run will make (each costs one step at (q, σ)), counted in the calibration. */
  public PrivateTraining metricReleases(long releases) {
    this.metricReleases = releases;
    return this;
  }

  /** The randomness for sampling and noise (default: {@link CryptoRandom#create()}). */
  public PrivateTraining random(CryptoRandom random) {
    this.random = Objects.requireNonNull(random, "random");
    return this;
  }

  /**
   * The trainer and its plan.
   *
   * @param trainer ready to {@link DpSgdTrainer#step}; it charges {@code ledger} before every step
   * @param steps the training steps planned (metric releases not included)
   * @param sampleRate q
   * @param noiseMultiplier σ, given or calibrated
   * @param plannedEpsilon what the planned steps and releases cost from an empty history at δ (NaN without a δ)
   */
  public record Plan(DpSgdTrainer trainer, PrivacyLedger ledger, long steps, double sampleRate,
      double noiseMultiplier, double plannedEpsilon) {}

  /**
   * Checks the settings, calibrates σ if a target was given, and builds the trainer.
   *
   * @throws IllegalArgumentException for settings that do not make a run (each message says which and why)
   * @throws TargetUnreachableException if no σ reaches the target (too few examples, too many steps, too small ε)
   * @throws ModelValidationException if the trainer refuses the network
   */
  public Plan build() throws TargetUnreachableException, ModelValidationException {
    if (batchSize < 1 || batchSize > data.count()) {
      throw new IllegalArgumentException("the batch size must be in [1, " + data.count() + "] (the examples), got "
          + batchSize);
    }
    double q = (double) batchSize / data.count();
    if ((steps != 0) == (epochs != 0)) {
      throw new IllegalArgumentException("give the length as steps or as epochs, exactly one of them");
    }
    long planned = steps != 0 ? steps : Segment.stepsForEpochs(epochs, q);
    if (planned < 1) {
      throw new IllegalArgumentException("a run takes at least one step, got " + planned);
    }
    if (metricReleases < 0) {
      throw new IllegalArgumentException("metric releases cannot be negative");
    }
    boolean byNoise = !Double.isNaN(noiseMultiplier);
    boolean byTarget = !Double.isNaN(targetEpsilon);
    if (byNoise == byTarget) {
      throw new IllegalArgumentException("give the noise multiplier or the target ε, exactly one of them");
    }
    RdpAccountant accountant = RdpAccountant.defaults();
    double sigma = byNoise ? noiseMultiplier
        : calibratedNoise(accountant, q, planned + metricReleases, targetEpsilon, delta);
    PrivacyLedger l = ledger;
    if (l == null) {
      if (!byTarget) {
        throw new IllegalArgumentException("with a given noise multiplier, give the ledger to charge (its budgets"
            + " cap the run), or give a target ε instead");
      }
      l = new PrivacyLedger(accountant);
      for (String id : datasetIds) {
        l.open(id, new PrivacyBudget(targetEpsilon, delta));
      }
    }
    double cost = Double.isNaN(delta) ? Double.NaN
        : accountant.epsilon(q, sigma, planned + metricReleases, delta).epsilon();
    DpSgdTrainer trainer = new DpSgdTrainer(net, data, l, datasetIds,
        new DpSgdTrainer.Settings(q, sigma, clipNorm), random != null ? random : CryptoRandom.create());
    return new Plan(trainer, l, planned, q, sigma, cost);
  }

  /**
   * The noise multiplier at which {@code charges} Poisson-subsampled Gaussian steps at rate {@code q} cost
   * {@code epsilon} at {@code delta} from an empty history, within {@link #CALIBRATION_TOLERANCE}: the one
   * calibration of a run's σ, here and in the coordinator's job planning.
   *
   * @throws TargetUnreachableException if no σ reaches the target
   */
  public static double calibratedNoise(RdpAccountant accountant, double q, long charges, double epsilon,
      double delta) throws TargetUnreachableException {
    return accountant.calibrateNoise(q, charges, epsilon, delta, CALIBRATION_TOLERANCE).noiseMultiplier();
  }
}
