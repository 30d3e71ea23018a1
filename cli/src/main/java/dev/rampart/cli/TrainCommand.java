package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.client.TrainRequest;
import dev.rampart.protocol.v1.Job;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rampart train}: submit a DP-SGD job on datasets the licenses let you train on. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, description = {
    "Submits a model to be trained with DP-SGD on the union of the given datasets, inside the attested",
    "coordinator. Prints: job <id> submitted: <total steps> steps, q=<sample rate>, sigma=<noise multiplier>.",
    "With --watch, then follows it like 'rampart job watch' (exit 0 trained, 1 cancelled or failed)."})
final class TrainCommand extends ScientistCommand {
  @Option(names = "--model", required = true, paramLabel = "FILE",
      description = "A DL4J MultiLayerConfiguration as JSON (conf.toJson()), at most 256 KiB.")
  Path model;

  @Option(names = "--datasets", required = true, split = ",", paramLabel = "ID",
      description = "1 to 16 dataset ids, comma-separated: full ids or unique prefixes of at least 8 hex digits.")
  List<String> datasets;

  @ArgGroup(exclusive = true, multiplicity = "0..1") Length length;

  static final class Length {
    @Option(names = "--epochs", paramLabel = "N",
        description = "Passes over the data: steps = ceil(N / q) (default: 1 epoch).") Double epochs;
    @Option(names = "--steps", paramLabel = "N", description = "Exactly N steps.") Long steps;
  }

  @Option(names = "--batch", paramLabel = "B",
      description = "Expected batch size; each example joins each step with probability q = B / rows (default 256).")
  Integer batch;

  @Option(names = "--clip", paramLabel = "C", description = "Per-example gradient norm bound (default 1.0).")
  Double clip;

  @ArgGroup(exclusive = true, multiplicity = "1") Noise noise;

  static final class Noise {
    @Option(names = "--noise-multiplier", paramLabel = "S", description = "σ: noise of standard deviation σ·C.")
    Double sigma;
    @Option(names = "--target-epsilon", paramLabel = "E",
        description = "The ε this job may spend on each dataset; the coordinator calibrates σ.") Double epsilon;
  }

  @Option(names = "--delta", paramLabel = "D", description = "δ (default: the smallest of the licenses' δ).")
  Double delta;

  @Option(names = "--optimizer", paramLabel = "sgd|adam", description = "Default sgd.") String optimizer;

  @Option(names = "--lr", paramLabel = "L", description = "Learning rate (default 0.1 for sgd, 0.001 for adam).")
  Double learningRate;

  @Option(names = "--seed", paramLabel = "S",
      description = "Seeds the initial parameters only; sampling and noise always use fresh secure randomness"
          + " (default 42).") Long seed;

  @Option(names = "--metrics-every", paramLabel = "N",
      description = "A DP loss and accuracy every N steps, each charged like a step (default: the coordinator's, 100).")
  Integer metricsEvery;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      description = "A sealed checkpoint every N steps (default: the coordinator's, 50).") Integer checkpointEvery;

  @Option(names = "--watch", description = "Follow the job after submitting it (as 'rampart job watch').")
  boolean watch;

  @Option(names = "--poll", paramLabel = "SECONDS", defaultValue = "2",
      description = "With --watch: seconds between two looks at the job (default ${DEFAULT-VALUE}).")
  double pollSeconds;

  private TrainRequest.Builder request;

  /** Applies one flag to the builder, naming the flag when the value is refused. */
  private void set(String flag, Object value, Runnable setter) {
    if (value == null) {
      return;
    }
    try {
      setter.run();
    } catch (IllegalArgumentException e) {
      throw Arguments.bad(spec, flag + ": " + e.getMessage());
    }
  }

  @Override
  void check() {
    request = TrainRequest.builder();
    try {
      request.model(model);
    } catch (IOException | IllegalArgumentException e) {
      throw Arguments.bad(spec, "--model: " + e.getMessage());
    }
    for (String d : datasets) {
      checkDatasetId("--datasets", d);
    }
    if (datasets.size() > TrainRequest.MAX_DATASETS) {
      throw Arguments.bad(spec, "--datasets: a job trains on 1 to " + TrainRequest.MAX_DATASETS + " datasets, got "
          + datasets.size());
    }
    if (length != null) {
      set("--epochs", length.epochs, () -> request.epochs(length.epochs));
      set("--steps", length.steps, () -> request.steps(length.steps));
    }
    set("--batch", batch, () -> request.batchSize(batch));
    set("--clip", clip, () -> request.clipNorm(clip));
    set("--noise-multiplier", noise.sigma, () -> request.noiseMultiplier(noise.sigma));
    set("--target-epsilon", noise.epsilon, () -> request.targetEpsilon(noise.epsilon));
    set("--delta", delta, () -> request.delta(delta));
    set("--optimizer", optimizer, () -> request.optimizer(optimizer));
    set("--lr", learningRate, () -> request.learningRate(learningRate));
    set("--seed", seed, () -> request.seed(seed));
    set("--metrics-every", metricsEvery, () -> request.metricsEvery(metricsEvery));
    set("--checkpoint-every", checkpointEvery, () -> request.checkpointEvery(checkpointEvery));
    if (watch) {
      JobCommand.Watch.interval(this, pollSeconds);
    }
  }

  @Override
  int run(RampartClient client, PrintWriter out) throws Exception {
    List<String> ids = new ArrayList<>();
    for (String d : datasets) {
      ids.add(resolveDataset(client, d));
    }
    TrainRequest r;
    try {
      r = request.datasets(ids).build();
    } catch (IllegalArgumentException e) {
      throw Arguments.bad(spec, e.getMessage());
    }
    Job job = client.train(r);
    out.println("job " + job.getId() + " submitted: " + job.getTotalSteps() + " steps, q="
        + Formats.significant(job.getSampleRate()) + ", sigma=" + Formats.significant(job.getNoiseMultiplier()));
    out.flush();
    if (!watch) {
      return ExitCodes.SUCCESS;
    }
    return JobWatcher.watch(client, job.getId(), JobCommand.Watch.interval(this, pollSeconds), out);
  }
}
