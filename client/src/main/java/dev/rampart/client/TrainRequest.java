package dev.rampart.client;

import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.Optimizer;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a data scientist asks the coordinator to train: an immutable, validated {@link JobSpec}. The builder's
 * setters mirror {@code rampart train}'s flags and reject a bad value at once; {@link Builder#build()} checks
 * the choices that involve several settings. Every {@link IllegalArgumentException} says what to do instead.
 *
 * <p>Defaults: batch size 256, clip norm 1.0, SGD, learning rate 0.1 for SGD and 0.001 for Adam, seed 42, one
 * epoch when neither steps nor epochs is given, δ from the datasets' licenses (the smallest), and the
 * coordinator's metrics and checkpoint intervals (100 and 50 steps). There is no default for the noise: give
 * a noise multiplier σ or a target ε.
 */
public final class TrainRequest {
  /** The coordinator refuses larger model configurations. */
  public static final int MAX_MODEL_BYTES = 256 * 1024;
  /** At most this many datasets, trained as their union. */
  public static final int MAX_DATASETS = 16;
  public static final int DEFAULT_BATCH_SIZE = 256;
  public static final double DEFAULT_CLIP_NORM = 1.0;
  public static final double DEFAULT_SGD_LEARNING_RATE = 0.1;
  public static final double DEFAULT_ADAM_LEARNING_RATE = 0.001;
  public static final long DEFAULT_SEED = 42;
  public static final double DEFAULT_EPOCHS = 1.0;

  private static final Pattern DATASET_ID = Pattern.compile("[0-9a-f]{64}");

  private final JobSpec spec;

  private TrainRequest(JobSpec spec) {
    this.spec = spec;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The protobuf the coordinator's {@code Jobs.Submit} takes. */
  public JobSpec toSpec() {
    return spec;
  }

  /** Whether {@code id} has the form of a dataset id: SHA-256, 64 lower-case hex digits. */
  public static boolean isDatasetId(String id) {
    return id != null && DATASET_ID.matcher(id).matches();
  }

  @Override
  public String toString() {
    // the model can be 256 KiB: show its size, not its text
    return "TrainRequest{" + spec.toBuilder().clearModelJson().build().toString().replace('\n', ' ').trim()
        + " model_json=" + spec.getModelJson().length() + " chars}";
  }

  /** Collects a {@link TrainRequest}; not thread-safe. */
  public static final class Builder {
    private String modelJson;
    private List<String> datasetIds;
    private Long steps;
    private Double epochs;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private double clipNorm = DEFAULT_CLIP_NORM;
    private Double noiseMultiplier;
    private Double targetEpsilon;
    private double delta; // 0: the licenses' δ
    private Optimizer optimizer = Optimizer.SGD;
    private Double learningRate;
    private long seed = DEFAULT_SEED;
    private int metricsEvery; // 0: the coordinator's default
    private int checkpointEvery;

    private Builder() {}

    /**
     * The model: a Deeplearning4j {@code MultiLayerConfiguration} as JSON ({@code conf.toJson()}), at most
     * 256 KiB. The coordinator checks its layers against an allow-list; here only size and form are checked.
     */
    public Builder modelJson(String json) {
      Objects.requireNonNull(json, "modelJson");
      int bytes = json.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_MODEL_BYTES) {
        throw new IllegalArgumentException("the model configuration is " + bytes + " bytes; the coordinator accepts"
            + " at most " + MAX_MODEL_BYTES + " (256 KiB): send the configuration only, not trained parameters");
      }
      if (!json.stripLeading().startsWith("{")) {
        throw new IllegalArgumentException("the model must be a DL4J MultiLayerConfiguration as JSON (an object,"
            + " from conf.toJson()), but it does not start with '{'");
      }
      this.modelJson = json;
      return this;
    }

    /** Reads the model configuration JSON from {@code file} (UTF-8, at most 256 KiB); see {@link #modelJson}. */
    public Builder model(Path file) throws IOException {
      Objects.requireNonNull(file, "file");
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("no model file at " + file
            + " (a DL4J MultiLayerConfiguration as JSON, from conf.toJson())");
      }
      long size = Files.size(file);
      if (size > MAX_MODEL_BYTES) {
        throw new IllegalArgumentException("model file " + file + " is " + size + " bytes; the coordinator accepts at"
            + " most " + MAX_MODEL_BYTES + " (256 KiB): send the configuration JSON only, not trained parameters");
      }
      String json;
      try {
        json = Files.readString(file, StandardCharsets.UTF_8);
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException("model file " + file + " is not UTF-8 text: it must be a DL4J"
            + " MultiLayerConfiguration as JSON");
      }
      try {
        return modelJson(json);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("model file " + file + ": " + e.getMessage());
      }
    }

    /** 1 to 16 dataset ids (64 lower-case hex digits each, distinct), with the same features and classes. */
    public Builder datasets(List<String> ids) {
      Objects.requireNonNull(ids, "ids");
      if (ids.isEmpty() || ids.size() > MAX_DATASETS) {
        throw new IllegalArgumentException("a job trains on 1 to " + MAX_DATASETS + " datasets, got " + ids.size());
      }
      Set<String> seen = new HashSet<>();
      for (String id : ids) {
        if (!isDatasetId(id)) {
          throw new IllegalArgumentException("'" + id + "' is not a dataset id (64 lower-case hex digits, as"
              + " 'rampart datasets --full-ids' shows them; RampartClient.resolveDatasetId expands a prefix)");
        }
        if (!seen.add(id)) {
          throw new IllegalArgumentException("dataset " + id + " is listed twice: list each dataset once");
        }
      }
      this.datasetIds = List.copyOf(ids);
      return this;
    }

    /** Exactly this many DP-SGD steps (or give {@link #epochs} instead). */
    public Builder steps(long steps) {
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be at least 1, got " + steps);
      }
      this.steps = steps;
      return this;
    }

    /** Passes over the data: steps = ceil(epochs / q) (or give {@link #steps} instead). */
    public Builder epochs(double epochs) {
      positive("epochs", epochs);
      this.epochs = epochs;
      return this;
    }

    /** The expected batch size B: each example joins each step's batch with probability q = B / rows. */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /** The per-example gradient norm bound C. */
    public Builder clipNorm(double clipNorm) {
      positive("the clip norm", clipNorm);
      this.clipNorm = clipNorm;
      return this;
    }

    /** The noise multiplier σ (noise standard deviation σ·C); or give {@link #targetEpsilon} instead. */
    public Builder noiseMultiplier(double sigma) {
      positive("the noise multiplier", sigma);
      this.noiseMultiplier = sigma;
      return this;
    }

    /** The ε this job may spend on each dataset: the coordinator calibrates σ; or give {@link #noiseMultiplier}. */
    public Builder targetEpsilon(double epsilon) {
      positive("the target epsilon", epsilon);
      this.targetEpsilon = epsilon;
      return this;
    }

    /** δ; by default the smallest δ of the datasets' licenses. */
    public Builder delta(double delta) {
      if (!(delta > 0 && delta < 1)) {
        throw new IllegalArgumentException("delta must be in (0, 1) (and at most the licenses' delta), got " + delta);
      }
      this.delta = delta;
      return this;
    }

    /** {@code "sgd"} (default) or {@code "adam"}, in any case. */
    public Builder optimizer(String name) {
      Objects.requireNonNull(name, "name");
      this.optimizer = switch (name.toLowerCase(Locale.ROOT)) {
        case "sgd" -> Optimizer.SGD;
        case "adam" -> Optimizer.ADAM;
        default -> throw new IllegalArgumentException("the optimizer is sgd or adam, got '" + name + "'");
      };
      return this;
    }

    /** The learning rate; by default 0.1 for SGD, 0.001 for Adam. */
    public Builder learningRate(double learningRate) {
      positive("the learning rate", learningRate);
      this.learningRate = learningRate;
      return this;
    }

    /** Seeds the initial parameters only: sampling and noise always use fresh secure randomness. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A DP loss and accuracy every N steps; each release costs one step's worth of budget. */
    public Builder metricsEvery(int steps) {
      if (steps < 1) {
        throw new IllegalArgumentException("metrics every N steps needs N >= 1, got " + steps);
      }
      this.metricsEvery = steps;
      return this;
    }

    /** A sealed checkpoint every N steps (a restarted coordinator resumes from the last one). */
    public Builder checkpointEvery(int steps) {
      if (steps < 1) {
        throw new IllegalArgumentException("a checkpoint every N steps needs N >= 1, got " + steps);
      }
      this.checkpointEvery = steps;
      return this;
    }

    private static void positive(String what, double value) {
      if (!(value > 0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException(what + " must be a finite number > 0, got " + value);
      }
    }

    /** Checks the settings together. */
    public TrainRequest build() {
      if (modelJson == null) {
        throw new IllegalArgumentException("no model: give a DL4J MultiLayerConfiguration JSON with modelJson(...)"
            + " or model(Path)");
      }
      if (datasetIds == null) {
        throw new IllegalArgumentException("no datasets: give 1 to " + MAX_DATASETS
            + " dataset ids with datasets(...)");
      }
      if (steps != null && epochs != null) {
        throw new IllegalArgumentException("give steps or epochs, not both");
      }
      if (noiseMultiplier != null && targetEpsilon != null) {
        throw new IllegalArgumentException("give a noise multiplier or a target epsilon, not both: with a target"
            + " epsilon the coordinator calibrates the noise multiplier itself");
      }
      if (noiseMultiplier == null && targetEpsilon == null) {
        throw new IllegalArgumentException("give a noise multiplier (sigma) or a target epsilon: DP-SGD needs one of"
            + " them to bound what the job spends on each dataset");
      }
      JobSpec.Builder b = JobSpec.newBuilder()
          .setModelJson(modelJson)
          .addAllDatasetIds(new ArrayList<>(datasetIds))
          .setBatchSize(batchSize)
          .setClipNorm(clipNorm)
          .setDelta(delta)
          .setOptimizer(optimizer)
          .setLearningRate(learningRate != null ? learningRate
              : optimizer == Optimizer.ADAM ? DEFAULT_ADAM_LEARNING_RATE : DEFAULT_SGD_LEARNING_RATE)
          .setSeed(seed)
          .setMetricsEvery(metricsEvery)
          .setCheckpointEvery(checkpointEvery);
      if (steps != null) {
        b.setSteps(steps);
      } else {
        b.setEpochs(epochs != null ? epochs : DEFAULT_EPOCHS);
      }
      if (noiseMultiplier != null) {
        b.setNoiseMultiplier(noiseMultiplier);
      } else {
        b.setTargetEpsilon(targetEpsilon);
      }
      return new TrainRequest(b.build());
    }
  }
}
