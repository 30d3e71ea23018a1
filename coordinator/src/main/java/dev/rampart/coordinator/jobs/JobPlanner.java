package dev.rampart.coordinator.jobs;

import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.Segment;
import dev.rampart.accountant.TargetUnreachableException;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.protocol.v1.*;
import dev.rampart.trainer.ModelConfigs;
import dev.rampart.trainer.ModelValidationException;
import dev.rampart.trainer.PrivateTraining;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import static dev.rampart.coordinator.jobs.JobSupport.*;

/**
 * Submit-time planning, pure: a job's spec, its datasets and the ledger in, the resolved spec and its DP plan
 * (steps, sample rate q, noise σ, δ, clip norm) out, or the first problem as an {@code INVALID_ARGUMENT} or
 * {@code FAILED_PRECONDITION}. Nothing is allocated and nothing changes: the model's network is built (to validate
 * it) by {@link Jobs#submit} afterwards.
 */
public final class JobPlanner {
  static final long MAX_STEPS = 10_000_000L;
  static final int DEFAULT_BATCH = 256;
  static final double DEFAULT_CLIP = 1.0;
  static final int DEFAULT_METRICS_EVERY = 100;
  static final int DEFAULT_CHECKPOINT_EVERY = 50;
  /** Below this σ a step costs so much ε that it is almost certainly a mistake. */
  static final double MIN_NOISE_MULTIPLIER = 0.3;
  /** Bounds a job's journal entries and its shown metrics (each metric release also costs budget). */
  static final long MAX_METRICS = 1000;
  static final long MAX_CHECKPOINTS = 10_000;

  private JobPlanner() {}

  /**
   * A planned job: the spec with every default resolved, its parsed model configuration, the datasets' shape, and
   * the DP parameters it will be charged at.
   */
  public record Plan(JobSpec spec, MultiLayerConfiguration conf, byte[] modelBytes, int features, int classes,
      long steps, double sampleRate, double noiseMultiplier) {}

  /**
   * Plans a job on datasets the caller may train on (all of the same shape).
   *
   * @throws ServiceException what is wrong with the spec, or which dataset has no room for one step
   */
  public static Plan plan(JobSpec spec, List<Dataset> ds, PrivacyLedger ledger) throws ServiceException {
    int features = ds.get(0).manifest().getFeatures();
    int classes = ds.get(0).manifest().getClasses();
    long rows = 0;
    for (Dataset d : ds) {
      if (d.manifest().getFeatures() != features || d.manifest().getClasses() != classes) {
        throw ServiceException.invalid("datasets trained together need the same features and classes: "
            + label(ds.get(0)) + " has " + features + " features and " + classes + " classes, " + label(d) + " has "
            + d.manifest().getFeatures() + " and " + d.manifest().getClasses());
      }
      rows += d.manifest().getRows();
    }
    JobSpec.Builder resolved = spec.toBuilder().clearDatasetIds();
    ds.forEach(d -> resolved.addDatasetIds(d.id()));

    byte[] modelBytes = spec.getModelJson().getBytes(StandardCharsets.UTF_8);
    if (modelBytes.length == 0) {
      throw ServiceException.invalid("model_json is empty: send a DL4J MultiLayerConfiguration as JSON");
    }
    resolved.setOptimizer(spec.getOptimizer() == Optimizer.ADAM ? Optimizer.ADAM : Optimizer.SGD);
    double lr = spec.getLearningRate() == 0 ? (resolved.getOptimizer() == Optimizer.ADAM ? 0.001 : 0.1)
        : spec.getLearningRate();
    if (!(lr > 0) || !(lr <= 10)) {
      throw ServiceException.invalid("learning_rate must be in (0, 10], got " + spec.getLearningRate());
    }
    resolved.setLearningRate(lr);
    MultiLayerConfiguration conf;
    try {
      conf = ModelConfigs.parse(spec.getModelJson());
    } catch (ModelValidationException e) {
      throw ServiceException.invalid("the model is not accepted: " + e.getMessage());
    }

    int batch = spec.getBatchSize() == 0 ? DEFAULT_BATCH : spec.getBatchSize();
    if (batch < 1 || batch > rows) {
      throw ServiceException.invalid("batch_size (the expected batch size) must be in [1, " + rows
          + "] (the datasets' rows), got " + batch);
    }
    resolved.setBatchSize(batch);
    double q = batch / (double) rows;
    if (spec.getSteps() != 0 && spec.getEpochs() != 0) {
      throw ServiceException.invalid("give steps or epochs, not both");
    }
    if (spec.getSteps() < 0 || !(spec.getEpochs() >= 0) || Double.isInfinite(spec.getEpochs())) {
      throw ServiceException.invalid("steps and epochs must be positive");
    }
    double epochs = spec.getSteps() == 0 && spec.getEpochs() == 0 ? 1.0 : spec.getEpochs();
    long steps;
    try {
      steps = spec.getSteps() != 0 ? spec.getSteps() : Segment.stepsForEpochs(epochs, q);
    } catch (IllegalArgumentException e) {
      throw ServiceException.invalid(e.getMessage());
    }
    if (steps < 1 || steps > MAX_STEPS) {
      throw ServiceException.invalid("a job takes 1 to " + MAX_STEPS + " steps; this one would take " + steps);
    }
    double clip = spec.getClipNorm() == 0 ? DEFAULT_CLIP : spec.getClipNorm();
    if (!(clip > 0) || !Double.isFinite(clip) || clip > 1e6) {
      throw ServiceException.invalid("clip_norm must be in (0, 1e6], got " + spec.getClipNorm());
    }
    resolved.setClipNorm(clip);
    int metricsEvery = spec.getMetricsEvery() == 0 ? DEFAULT_METRICS_EVERY : spec.getMetricsEvery();
    int checkpointEvery = spec.getCheckpointEvery() == 0 ? DEFAULT_CHECKPOINT_EVERY : spec.getCheckpointEvery();
    if (metricsEvery < 1 || checkpointEvery < 1) {
      throw ServiceException.invalid("metrics_every and checkpoint_every must be >= 1 (0: the defaults)");
    }
    if (steps / metricsEvery > MAX_METRICS || steps / checkpointEvery > MAX_CHECKPOINTS) {
      throw ServiceException.invalid("a job releases at most " + MAX_METRICS + " DP metrics and writes at most "
          + MAX_CHECKPOINTS + " checkpoints: for " + steps + " steps use metrics_every >= "
          + ceilDiv(steps, MAX_METRICS) + " and checkpoint_every >= " + ceilDiv(steps, MAX_CHECKPOINTS));
    }
    resolved.setMetricsEvery(metricsEvery).setCheckpointEvery(checkpointEvery);
    double licenseDelta = ds.stream().mapToDouble(d -> d.license().getDelta()).min().orElseThrow();
    double delta = spec.getDelta() == 0 ? licenseDelta : spec.getDelta();
    if (!(delta > 0) || delta > licenseDelta) {
      throw ServiceException.invalid("delta must be in (0, " + licenseDelta + "] (the smallest license delta of"
          + " these datasets), got " + spec.getDelta());
    }
    resolved.setDelta(delta);

    boolean byNoise = spec.getNoiseMultiplier() != 0;
    boolean byTarget = spec.getTargetEpsilon() != 0;
    if (byNoise == byTarget) {
      throw ServiceException.invalid("give exactly one of noise_multiplier or target_epsilon");
    }
    double sigma;
    long charged = steps + steps / metricsEvery;
    if (byNoise) {
      sigma = spec.getNoiseMultiplier();
      if (!(sigma >= MIN_NOISE_MULTIPLIER) || !Double.isFinite(sigma)) {
        throw ServiceException.invalid("noise_multiplier must be a finite number >= " + MIN_NOISE_MULTIPLIER
            + ", got " + sigma);
      }
    } else {
      double target = spec.getTargetEpsilon();
      if (!(target > 0) || !Double.isFinite(target)) {
        throw ServiceException.invalid("target_epsilon must be a finite number > 0, got " + target);
      }
      try {
        // the job alone (its steps and its DP metrics) costs target_epsilon; each dataset's ledger still caps
        sigma = PrivateTraining.calibratedNoise(ledger.accountant(), q, charged, target, delta);
      } catch (TargetUnreachableException e) {
        throw ServiceException.invalid("target_epsilon " + target + " is unreachable: " + e.getMessage());
      }
    }
    for (Dataset d : ds) {
      if (ledger.stepsThatFit(d.id(), q, sigma) < 1) {
        PrivacyGuarantee spent = ledger.spent(d.id());
        throw ServiceException.precondition(String.format(Locale.ROOT, "dataset %s has spent ε=%.4f of its"
            + " budget ε=%s: not one step at q=%.5f, σ=%.4f fits; ask its owner or use more noise", label(d),
            spent.epsilon(), d.license().getEpsilon(), q, sigma));
      }
    }

    return new Plan(resolved.build(), conf, modelBytes, features, classes, steps, q, sigma);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

}
