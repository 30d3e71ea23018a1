package dev.rampart.trainer;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.Segment;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Differentially private training of a DL4J network on labelled images (not {@code fit()}): Poisson-sampled
 * batches, ghost clipping, secure Gaussian noise, and every step charged to the ledger of every dataset
 * before it is taken, so nothing derived from a step exists unless its privacy cost is on the books. When the
 * next step would overrun a budget, {@link #step()} throws and the network is left as the last allowed step
 * made it.
 */
public final class DpSgdTrainer implements AutoCloseable {
  /** Per-example losses are clipped here before the noisy mean a data scientist sees. */
  static final double LOSS_CLIP = 10.0;

  /**
   * @param sampleRate q: each example joins each step's batch with this probability
   * @param noiseMultiplier σ: noise standard deviation over the clip norm
   * @param clipNorm C: per-example gradient norm bound
   */
  public record Settings(double sampleRate, double noiseMultiplier, double clipNorm) {
    public Settings {
      if (!(sampleRate > 0 && sampleRate <= 1)) {
        throw new IllegalArgumentException("sample rate must be in (0, 1], got " + sampleRate);
      }
      if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) {
        throw new IllegalArgumentException("noise multiplier must be a finite number >= 0, got " + noiseMultiplier);
      }
      if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
        throw new IllegalArgumentException("clip norm must be a finite number > 0, got " + clipNorm);
      }
    }
  }

  /**
   * Where the trainer's charges go. By default they are charged to its ledger, checked and added at once; a caller
   * that records every charge durably before it takes effect (the coordinator journals it, then adds it to the
   * ledger by applying the journal entry) routes them through itself with {@link #chargingThrough}.
   */
  @FunctionalInterface
  public interface Charger {
    /** What a charge pays for. */
    enum Use {
      /** Steps charged ahead by {@link #reserve}. */
      RESERVATION,
      /** One step charged by {@link #step} when nothing is reserved. */
      STEP,
      /** The step's worth a {@link #privateMetrics} estimate costs. */
      METRICS
    }

    /**
     * Charges {@code segment} to every dataset, all or nothing, before the trainer acts on it.
     *
     * @return what each dataset has spent after the charge
     * @throws BudgetExceededException if it does not fit; nothing was charged
     */
    Map<String, PrivacyGuarantee> charge(List<String> datasetIds, Segment segment, Use use)
        throws BudgetExceededException;
  }

  /** What one step released: the batch size is not released (it would leak membership). */
  public record StepResult(long step, Map<String, PrivacyGuarantee> spent) {}

  private final MultiLayerNetwork net;
  private final LabeledExamples data;
  private final PrivacyLedger ledger;
  private final List<String> datasetIds;
  private final Settings settings;
  private final PoissonSampler sampler;
  private final GaussianNoise noise;
  private final DpSgdStep update;
  private long steps;
  /** Steps already charged by {@link #reserve} and not yet taken. */
  private long reserved;
  private Charger charger;

  public DpSgdTrainer(MultiLayerNetwork net, LabeledExamples data, PrivacyLedger ledger, List<String> datasetIds,
      Settings settings, CryptoRandom random) throws ModelValidationException {
    if (datasetIds.isEmpty()) {
      throw new IllegalArgumentException("a training run spends the budget of at least one dataset");
    }
    this.net = net;
    this.data = data;
    this.ledger = ledger;
    this.datasetIds = List.copyOf(datasetIds);
    this.settings = settings;
    this.sampler = new PoissonSampler(data.count(), settings.sampleRate(), random);
    this.noise = new GaussianNoise(random, true);
    this.update = new DpSgdStep(net, random);
    this.charger = (ids, segment, use) -> this.ledger.charge(ids, segment);
  }

  /**
   * Routes every later charge through {@code charger} instead of charging the ledger directly (which the charger
   * must then bring up to date itself before it returns, as the ledger is what {@link #step} reports from).
   *
   * @return this trainer
   */
  public DpSgdTrainer chargingThrough(Charger charger) {
    this.charger = java.util.Objects.requireNonNull(charger, "charger");
    return this;
  }

  public Settings settings() {
    return settings;
  }

  public long steps() {
    return steps;
  }

  public PrivacyLedger ledger() {
    return ledger;
  }

  /** Steps already charged to the ledger by {@link #reserve} and not yet taken. */
  public long reserved() {
    return reserved;
  }

  /** Saves this run to a file (see {@link Checkpoint}), ledger included. */
  public void checkpoint(java.nio.file.Path file) throws java.io.IOException {
    Checkpoint.save(file, net, settings, steps, ledger);
  }

  /**
   * This run as checkpoint bytes ({@link Checkpoint#toBytes}), for a caller that seals and stores them itself.
   *
   * @param withLedger whether to include the ledger; a caller that persists its live ledger apart (and passes it
   *     to {@link #resume(byte[], MultiLayerNetwork, LabeledExamples, List, CryptoRandom, PrivacyLedger)}) need not
   */
  public byte[] checkpointBytes(boolean withLedger) {
    return Checkpoint.toBytes(net, settings, steps, withLedger ? ledger : null);
  }

  /**
   * Resumes a run from a checkpoint file: restores the network's parameters and updater state, the step count and
   * the ledger, with fresh randomness (noise is never reused).
   *
   * @throws CheckpointException if the file is unusable or carries no ledger (then pass the live one)
   */
  public static DpSgdTrainer resume(java.nio.file.Path file, MultiLayerNetwork net, LabeledExamples data,
      List<String> datasetIds, CryptoRandom random) throws java.io.IOException, ModelValidationException {
    return resume(file, net, data, datasetIds, random, null);
  }

  /**
   * As {@link #resume(java.nio.file.Path, MultiLayerNetwork, LabeledExamples, List, CryptoRandom)}, keeping a live
   * ledger persisted apart from the checkpoint (it only grows): a checkpoint can never roll ε back. With a null
   * live ledger the checkpoint's own is used.
   *
   * @throws CheckpointException if the checkpoint is unusable, or if the live ledger has spent less than the
   *     checkpoint records
   */
  public static DpSgdTrainer resume(java.nio.file.Path file, MultiLayerNetwork net, LabeledExamples data,
      List<String> datasetIds, CryptoRandom random, PrivacyLedger liveLedger)
      throws java.io.IOException, ModelValidationException {
    return resume(Checkpoint.restore(file, net), file.toString(), net, data, datasetIds, random, liveLedger);
  }

  /**
   * Resumes a run from checkpoint bytes ({@link #checkpointBytes}), with fresh randomness (noise is never reused),
   * charging from now on to {@code liveLedger}, the ledger the caller persists itself. If the checkpoint carries a
   * ledger too, the live one must have spent at least as much on every dataset: a checkpoint can never roll ε
   * back.
   *
   * @param liveLedger required
   * @throws CheckpointException if the bytes are not a usable checkpoint for {@code net} (truncated, altered,
   *     another model or optimizer), or the live ledger has spent less than the checkpoint records
   * @throws ModelValidationException if the private trainer does not accept {@code net}
   */
  public static DpSgdTrainer resume(byte[] checkpoint, MultiLayerNetwork net, LabeledExamples data,
      List<String> datasetIds, CryptoRandom random, PrivacyLedger liveLedger)
      throws CheckpointException, ModelValidationException {
    java.util.Objects.requireNonNull(liveLedger, "liveLedger: resuming from bytes charges the caller's live ledger");
    return resume(Checkpoint.restore(checkpoint, "the checkpoint", net), "the checkpoint", net, data, datasetIds,
        random, liveLedger);
  }

  private static DpSgdTrainer resume(Checkpoint.State state, String what, MultiLayerNetwork net, LabeledExamples data,
      List<String> datasetIds, CryptoRandom random, PrivacyLedger liveLedger)
      throws CheckpointException, ModelValidationException {
    PrivacyLedger saved = state.ledger();
    if (liveLedger == null && saved == null) {
      throw new CheckpointException(what + " carries no privacy ledger: resume with the live ledger");
    }
    if (liveLedger != null && saved != null) {
      for (String id : datasetIds) {
        long savedSteps = saved.datasets().contains(id) ? saved.history(id).totalSteps() : 0;
        if (!liveLedger.datasets().contains(id) || liveLedger.history(id).totalSteps() < savedSteps) {
          throw new CheckpointException("the live privacy ledger has spent less on " + id + " than " + what
              + " records: refusing to resume, which would roll the budget back");
        }
      }
    }
    PrivacyLedger ledger = liveLedger != null ? liveLedger : saved;
    DpSgdTrainer t = new DpSgdTrainer(net, data, ledger, datasetIds, state.settings(), random);
    t.steps = state.steps();
    return t;
  }

  public double expectedBatchSize() {
    return sampler.expectedBatchSize();
  }

  /**
   * Charges one step to every dataset, then takes it.
   *
   * @throws BudgetExceededException if the step would overrun a budget; nothing was charged or changed
   */
  public StepResult step() throws BudgetExceededException {
    Map<String, PrivacyGuarantee> spent;
    if (reserved > 0) {
      reserved--;
      spent = new java.util.LinkedHashMap<>();
      for (String id : datasetIds) {
        spent.put(id, ledger.spent(id));
      }
    } else {
      spent = charger.charge(datasetIds, new Segment(settings.sampleRate(), settings.noiseMultiplier(), 1),
          Charger.Use.STEP);
    }
    int[] batch = sampler.next();
    update.apply(chunks(batch), settings.clipNorm(), settings.noiseMultiplier(), sampler.expectedBatchSize());
    steps++;
    return new StepResult(steps, spent);
  }

  /**
   * Charges the next {@code count} steps at once, so that a caller can persist the ledger once for all of them
   * before taking any: after a crash the ledger then holds at least every step taken (possibly more: the
   * conservative side). Steps then draw on the reservation instead of charging one by one.
   *
   * @throws BudgetExceededException if the steps do not all fit; nothing is charged
   */
  public void reserve(long count) throws BudgetExceededException {
    if (count <= 0) {
      return;
    }
    charger.charge(datasetIds, new Segment(settings.sampleRate(), settings.noiseMultiplier(), count),
        Charger.Use.RESERVATION);
    reserved += count;
  }

  /**
   * A differentially private estimate of the training loss and accuracy, on a fresh Poisson batch: per-example
   * losses clipped to {@value #LOSS_CLIP} and correctness (0 or 1), each summed with Gaussian noise of
   * √2 σ × its bound (the pair is one Gaussian mechanism of sensitivity √2) and divided by qN. Charged to the
   * ledger as one more step at (q, σ) before it is computed.
   *
   * @return the loss and the accuracy
   */
  public PrivateMetrics privateMetrics() throws BudgetExceededException {
    charger.charge(datasetIds, new Segment(settings.sampleRate(), settings.noiseMultiplier(), 1),
        Charger.Use.METRICS);
    int[] batch = sampler.next();
    double lossSum = 0;
    double correctSum = 0;
    // in chunks, like a training step: memory does not grow with however large the Poisson batch came out
    for (java.util.Iterator<INDArray[]> it = chunks(batch); it.hasNext(); ) {
      INDArray[] xy = it.next();
      INDArray p = net.output(xy[0], false);
      double[] pTrue = p.mul(xy[1]).sum(1).castTo(DataType.DOUBLE).toDoubleVector();
      long[] predicted = p.argMax(1).toLongVector();
      long[] actual = xy[1].argMax(1).toLongVector();
      boolean[] finite = DpEvaluation.finiteRows(p);
      for (int i = 0; i < pTrue.length; i++) {
        lossSum += clippedLoss(finite[i] ? pTrue[i] : Double.NaN);
        correctSum += finite[i] && predicted[i] == actual[i] ? 1 : 0;
      }
    }
    // two sums released together: scaled to sensitivity 1 each (loss / LOSS_CLIP, correctness), one example
    // moves the pair by at most sqrt(2) in L2, so each gets noise sqrt(2)·σ·bound to cost one (q, σ) step
    double n = sampler.expectedBatchSize();
    double scale = Math.sqrt(2.0) * settings.noiseMultiplier();
    double loss = (lossSum + scale * LOSS_CLIP * noise.next()) / n;
    double accuracy = (correctSum + scale * noise.next()) / n;
    return new PrivateMetrics(loss, accuracy);
  }

  /**
   * One example's loss as the metrics release it: {@code -log p} of the true class, clamped to
   * {@code [0, LOSS_CLIP]} after a finiteness check, so that it lies in that range whatever the model computed.
   * A probability that is NaN, infinite, zero or negative (a model that overflowed) counts as the worst loss,
   * {@value #LOSS_CLIP}: {@code Math.min(LOSS_CLIP, NaN)} would be NaN and give the example away.
   */
  static double clippedLoss(double pTrue) {
    if (!Double.isFinite(pTrue) || !(pTrue > 0)) {
      return LOSS_CLIP;
    }
    double loss = -Math.log(pTrue);
    return !Double.isFinite(loss) || loss > LOSS_CLIP ? LOSS_CLIP : loss < 0 ? 0 : loss;
  }

  /** Examples per chunk: bounds activation memory whatever size a Poisson batch comes out. */
  static final int CHUNK = 1024;

  private java.util.Iterator<INDArray[]> chunks(int[] batch) {
    return new java.util.Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < batch.length;
      }

      @Override
      public INDArray[] next() {
        int end = Math.min(batch.length, next + CHUNK);
        INDArray[] xy = tensors(data, java.util.Arrays.copyOfRange(batch, next, end));
        next = end;
        return xy;
      }
    };
  }

  static INDArray[] tensors(LabeledExamples data, int[] indices) {
    int f = data.features();
    float[] x = new float[indices.length * f];
    float[] y = new float[indices.length * data.classes()];
    for (int i = 0; i < indices.length; i++) {
      data.copyPixels(indices[i], x, i * f);
      y[i * data.classes() + data.label(indices[i])] = 1f;
    }
    return new INDArray[] {
      Nd4j.createFromArray(x).reshape(indices.length, f), Nd4j.createFromArray(y).reshape(indices.length, data.classes())
    };
  }

  /** Stops the background noise generator; the network stays as trained. */
  @Override
  public void close() {
    update.close();
  }

  /**
   * Exact accuracy on data that is not private (a public test set). For a private dataset use
   * {@link DpEvaluation#accuracy}.
   */
  public static double accuracy(MultiLayerNetwork net, LabeledExamples test) {
    return DpEvaluation.correct(net, test) / (double) test.count();
  }
}
