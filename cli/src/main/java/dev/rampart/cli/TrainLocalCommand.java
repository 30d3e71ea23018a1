package dev.rampart.cli;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.TargetUnreachableException;
import dev.rampart.trainer.CryptoRandom;
import dev.rampart.trainer.DpSgdTrainer;
import dev.rampart.trainer.IdxReader;
import dev.rampart.trainer.LabeledExamples;
import dev.rampart.trainer.ModelValidationException;
import dev.rampart.trainer.Models;
import dev.rampart.trainer.PrivateTraining;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.Sgd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart train-local}: DP-SGD on local IDX data, no network. */
@Command(
    name = "train-local",
    mixinStandardHelpOptions = true,
    description = {
      "Trains a model with DP-SGD on local IDX data (train-* and t10k-* files, e.g. Fashion-MNIST), no network.",
      "The noise multiplier is calibrated so that all steps, and one DP metrics release per epoch, meet the",
      "target ε at δ. Prints a line per epoch, then: final test_accuracy=<x> epsilon=<e> delta=<d> steps=<n>"
    })
final class TrainLocalCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "DIR",
      description = "Directory with train-{images-idx3,labels-idx1}-ubyte[.gz] and t10k-… files.")
  Path data;

  @Option(names = "--model", defaultValue = "mlp", paramLabel = "mlp|lenet",
      description = "mlp: 784-256-10 ReLU (default); lenet: a LeNet-5-size CNN (slower: DL4J's convolutions).")
  String model;

  @Option(names = "--target-epsilon", required = true, paramLabel = "E", description = "ε for the whole run.")
  double targetEpsilon;

  @Option(names = "--delta", defaultValue = "1e-5", paramLabel = "D", description = "δ (default ${DEFAULT-VALUE}).")
  double delta;

  @Option(names = "--epochs", defaultValue = "15", paramLabel = "N", description = "Epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch", defaultValue = "256", paramLabel = "B",
      description = "Expected batch size; q = B / examples (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--clip", defaultValue = "1.0", paramLabel = "C",
      description = "Per-example gradient norm bound (default ${DEFAULT-VALUE}).")
  double clip;

  @Option(names = "--lr", defaultValue = "1.0", paramLabel = "L",
      description = "SGD learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
      description = "Seeds the model's initial weights only; noise and sampling always come from a"
          + " cryptographic generator (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--checkpoint", paramLabel = "FILE",
      description = "Save the run here after every epoch (and the privacy ledger in FILE.ledger before every"
          + " epoch); if FILE exists, resume from it with fresh noise and the ledger, never rolling ε back.")
  Path checkpoint;

  /** The live ledger beside the checkpoint: saved before each epoch's steps, it only grows. */
  private Path ledgerFile() {
    return checkpoint.resolveSibling(checkpoint.getFileName() + ".ledger");
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (!model.equals("mlp") && !model.equals("lenet")) {
      throw Arguments.bad(spec, "--model must be mlp or lenet, got '" + model + "'");
    }
    Arguments.epsilon(spec, "--target-epsilon", targetEpsilon);
    Arguments.delta(spec, "--delta", delta);
    if (epochs < 1 || epochs > 10_000) {
      throw Arguments.bad(spec, "--epochs must be in [1, 10000], got " + epochs);
    }
    if (!(clip > 0) || Double.isInfinite(clip)) {
      throw Arguments.bad(spec, "--clip must be a finite number > 0, got " + clip);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw Arguments.bad(spec, "--lr must be a finite number > 0, got " + learningRate);
    }
    if (!Files.isDirectory(data)) {
      throw Arguments.bad(spec, "--data " + data + " is not a directory"
          + (data.toString().contains("fashion-mnist") ? " (apt-get install -y dataset-fashion-mnist)" : ""));
    }
    LabeledExamples train;
    LabeledExamples test;
    try {
      train = IdxReader.read(data, "train", 10);
      test = IdxReader.read(data, "t10k", 10);
    } catch (IOException e) {
      throw Arguments.bad(spec, "--data " + data + ": " + e.getMessage());
    }
    if (batch < 1 || batch > train.count()) {
      throw Arguments.bad(spec, "--batch must be in [1, " + train.count() + "], got " + batch);
    }
    double q = (double) batch / train.count();
    // the one rule (Segment.stepsForEpochs): epoch k ends at step ceil(k / q)
    long trainingSteps = dev.rampart.accountant.Segment.stepsForEpochs(epochs, q);
    double sigma;
    String datasetId = "local";
    MultiLayerNetwork net = model.equals("lenet")
        ? Models.lenet(train.rows(), train.columns(), train.classes(), new Sgd(learningRate), seed)
        : Models.mlp(train.features(), 256, train.classes(), new Sgd(learningRate), seed);
    DpSgdTrainer trainer;
    PrivacyLedger ledger;
    int firstEpoch = 1;
    try {
      if (checkpoint != null && Files.exists(checkpoint)) {
        PrivacyLedger live = Files.exists(ledgerFile()) ? dev.rampart.accountant.LedgerFormat.load(ledgerFile()) : null;
        trainer = DpSgdTrainer.resume(checkpoint, net, train, List.of(datasetId), CryptoRandom.create(), live);
        ledger = trainer.ledger();
        if (!ledger.datasets().contains(datasetId) || trainer.settings().sampleRate() != q) {
          throw Arguments.bad(spec, "--checkpoint " + checkpoint + " is from a run with other settings; start a new"
              + " file or use the same --batch");
        }
        sigma = trainer.settings().noiseMultiplier();
        while (firstEpoch <= epochs && dev.rampart.accountant.Segment.stepsForEpochs(firstEpoch, q) <= trainer.steps()) {
          firstEpoch++; // the epoch the next step belongs to
        }
        out.printf(Locale.ROOT, "resuming from %s at step %d (epsilon so far %.4f)%n", checkpoint, trainer.steps(),
            ledger.spent(datasetId).epsilon());
      } else {
        // σ calibrated so that the steps and one DP metrics release per epoch cost at most the target; the ledger
        // has the target as its budget
        PrivateTraining.Plan plan = PrivateTraining.of(net, train).datasets(List.of(datasetId)).batchSize(batch)
            .steps(trainingSteps).clipNorm(clip).targetEpsilon(targetEpsilon, delta).metricReleases(epochs).build();
        trainer = plan.trainer();
        ledger = plan.ledger();
        sigma = plan.noiseMultiplier();
      }
    } catch (TargetUnreachableException e) {
      spec.commandLine().getErr().println("rampart train-local: " + e.getMessage());
      return ExitCodes.NEGATIVE;
    } catch (ModelValidationException e) {
      throw Arguments.bad(spec, e.getMessage());
    } catch (dev.rampart.trainer.CheckpointException e) {
      throw Arguments.bad(spec, "--checkpoint: " + e.getMessage());
    }
    out.printf(Locale.ROOT, "training %s on %d examples: q=%.6f sigma=%.4f clip=%s lr=%s epochs=%d steps=%d"
        + " target_epsilon=%s delta=%s%n", model, train.count(), q, sigma, clip, learningRate, epochs, trainingSteps,
        targetEpsilon, delta);
    out.flush();
    try {
      for (int epoch = firstEpoch; epoch <= epochs; epoch++) {
        long start = System.nanoTime();
        long stepsThisEpoch = dev.rampart.accountant.Segment.stepsForEpochs(epoch, q) - trainer.steps();
        if (checkpoint != null) {
          // charge the epoch's steps up front and persist the ledger before taking any of them: a crash can
          // then only over-count ε, never under-count it
          trainer.reserve(stepsThisEpoch);
          dev.rampart.accountant.LedgerFormat.save(ledger, ledgerFile());
        }
        for (long s = 0; s < stepsThisEpoch; s++) {
          trainer.step();
        }
        dev.rampart.trainer.PrivateMetrics metrics = trainer.privateMetrics();
        if (checkpoint != null) {
          dev.rampart.accountant.LedgerFormat.save(ledger, ledgerFile());
        }
        PrivacyGuarantee spent = ledger.spent(datasetId);
        out.printf(Locale.ROOT, "epoch=%d dp_loss=%.4f dp_accuracy=%.4f epsilon=%.4f seconds=%.1f%n", epoch,
            metrics.loss(), metrics.accuracy(), spent.epsilon(), (System.nanoTime() - start) / 1e9);
        out.flush();
        if (checkpoint != null) {
          trainer.checkpoint(checkpoint);
        }
      }
    } catch (BudgetExceededException e) {
      spec.commandLine().getErr().println("rampart train-local: stopped at the budget: " + e.getMessage());
    } finally {
      trainer.close();
    }
    PrivacyGuarantee spent = ledger.spent(datasetId);
    out.println("final test_accuracy=" + DpSgdTrainer.accuracy(net, test) + " epsilon=" + spent.epsilon()
        + " delta=" + delta + " steps=" + trainer.steps());
    return ExitCodes.SUCCESS;
  }
}
