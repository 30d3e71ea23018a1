package dev.rampart.coordinator;

import com.google.protobuf.ByteString;
import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.RdpAccountant;
import dev.rampart.accountant.Segment;
import dev.rampart.accountant.TargetUnreachableException;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.coordinator.storage.SealedFiles;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.protocol.v1.*;
import dev.rampart.trainer.CryptoRandom;
import dev.rampart.trainer.DpEvaluation;
import dev.rampart.trainer.DpSgdTrainer;
import dev.rampart.trainer.LabeledImages;
import dev.rampart.trainer.ModelConfigs;
import dev.rampart.trainer.ModelFile;
import dev.rampart.trainer.ModelValidationException;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Training jobs: submission (every check a scientist can get wrong, answered at once), DP-SGD runs on job threads
 * (never the event loop), sealed checkpoints, resumption after a restart, weight release under the intersection of
 * the datasets' licenses, and DP evaluation.
 *
 * <p>Privacy accounting, in order, for every block of steps: charge the shared ledger (atomic against the budget
 * and against every other job on the same datasets), journal the charge (forced to disk), then take the steps. A
 * crash therefore loses at most steps that were charged and not taken (ε over-counted, never under-counted). DP
 * metrics and evaluations are charged, computed, and journaled before they are answered: nothing is released
 * whose cost is not in the journal.
 */
public final class JobService implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JobService.class.getName());
  static final int MAX_DATASETS = 16;
  static final long MAX_STEPS = 10_000_000L;
  static final int FETCH_PIECE = 2 << 20;
  static final double DEFAULT_EVALUATION_EPSILON = 0.5;
  static final int DEFAULT_BATCH = 256;
  static final double DEFAULT_CLIP = 1.0;
  static final int DEFAULT_METRICS_EVERY = 100;
  static final int DEFAULT_CHECKPOINT_EVERY = 50;
  /** Below this σ a step costs so much ε that it is almost certainly a mistake. */
  static final double MIN_NOISE_MULTIPLIER = 0.3;
  private static final double CALIBRATION_TOLERANCE = 1e-3;
  /** Bounds a job's journal entries and its shown metrics (each metric release also costs budget). */
  static final long MAX_METRICS = 1000;
  static final long MAX_CHECKPOINTS = 10_000;

  private final Services services;
  private final CoordinatorState state;
  private final DatasetStore store;
  private final SealingKeys keys;
  private final Path jobsDir;
  private final Clock clock;
  private final ExecutorService runners;
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  /** Models being validated at submission, in all and per caller (each holds a network's native memory). */
  private final java.util.concurrent.Semaphore validations = new java.util.concurrent.Semaphore(2);
  private final Map<String, java.util.concurrent.Semaphore> validating = new ConcurrentHashMap<>();
  static final int VALIDATION_WAIT_SECONDS = 30;
  /** Futures of {@link #whenFinished}, completed by {@link #finish}. */
  private final Map<String, java.util.concurrent.CompletableFuture<Job>> finished = new ConcurrentHashMap<>();
  /** Set when the coordinator shuts down: jobs stop between steps and stay RUNNING in the journal. */
  private volatile boolean stopping;

  /** What a running job shows between journal entries. */
  private static final class Live {
    volatile long step;
    volatile String cancelledBy;
  }

  JobService(Services services, DatasetStore store, SealingKeys keys, Path stateDir, int threads, Clock clock)
      throws IOException {
    this.services = services;
    this.state = services.state();
    this.store = store;
    this.keys = keys;
    this.jobsDir = stateDir.resolve("jobs");
    this.clock = clock;
    Files.createDirectories(jobsDir);
    // temporary files of checkpoint and model writes a crash interrupted (a write is a rename of a complete file)
    try (var files = Files.walk(jobsDir, 2)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
        Files.deleteIfExists(f);
      }
    }
    AtomicInteger n = new AtomicInteger();
    this.runners = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "rampart-job-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** After the journal replay: queues every job a previous run left queued or running. */
  public void resumeUnfinished() {
    for (Job j : state.jobs()) {
      if (j.getState() == JobState.QUEUED || j.getState() == JobState.RUNNING) {
        LOG.info("job " + j.getId() + " was " + j.getState() + " when the coordinator stopped: resuming from step "
            + j.getStep());
        enqueue(j.getId());
      }
    }
  }

  private void enqueue(String jobId) {
    if (live.putIfAbsent(jobId, new Live()) == null) {
      runners.execute(() -> run(jobId));
    }
  }

  // ---- submission ----

  public Job submit(Caller caller, SubmitJobRequest r) throws ServiceException, IOException {
    Services.requireRole(caller, Role.SCIENTIST);
    JobSpec spec = r.getSpec();
    String name = caller.principal().getName();
    List<Dataset> ds = trainable(caller, spec.getDatasetIdsList());
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
        sigma = accountant().calibrateNoise(q, charged, target, delta, CALIBRATION_TOLERANCE).noiseMultiplier();
      } catch (TargetUnreachableException e) {
        throw ServiceException.invalid("target_epsilon " + target + " is unreachable: " + e.getMessage());
      }
    }
    PrivacyLedger ledger = state.ledger();
    for (Dataset d : ds) {
      if (ledger.stepsThatFit(d.id(), q, sigma) < 1) {
        PrivacyGuarantee spent = ledger.spent(d.id());
        throw ServiceException.precondition(String.format(Locale.ROOT, "dataset %s has spent ε=%.4f of its"
            + " budget ε=%s: not one step at q=%.5f, σ=%.4f fits; ask its owner or use more noise", label(d),
            spent.epsilon(), d.license().getEpsilon(), q, sigma));
      }
    }

    // last: it allocates the network (the budget and the cheap checks come first; ModelConfigs refuses what it can
    // from the configuration before allocating). One validation per caller at a time, two in all: a caller
    // cannot hold more than one model's memory, nor make others wait long
    java.util.concurrent.Semaphore mine = validating.computeIfAbsent(caller.fingerprint(),
        k -> new java.util.concurrent.Semaphore(1));
    if (!mine.tryAcquire()) {
      throw new ServiceException(io.vertx.grpc.common.GrpcStatus.RESOURCE_EXHAUSTED, "your previous submission is"
          + " still being validated; wait for its answer before submitting again");
    }
    try {
      if (!validations.tryAcquire(VALIDATION_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new ServiceException(io.vertx.grpc.common.GrpcStatus.RESOURCE_EXHAUSTED, "the coordinator is"
            + " validating other models; retry in a minute");
      }
      try {
        ModelConfigs.build(conf, features, classes, updater(resolved.build()), spec.getSeed()).close();
      } catch (ModelValidationException e) {
        throw ServiceException.invalid("the model is not accepted: " + e.getMessage());
      } finally {
        validations.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceException(io.vertx.grpc.common.GrpcStatus.UNAVAILABLE, "the coordinator is shutting down");
    } finally {
      mine.release();
    }
    String id = UUID.randomUUID().toString();
    services.record(new Event.JobSubmitted(id, caller.fingerprint(), name, sha256Hex(modelBytes), steps, q, sigma,
        resolved.build()), subjects(ds, caller.fingerprint()));
    LOG.info(caller.describe() + " submitted job " + id + ": " + steps + " steps on " + ds.size() + " dataset(s), q="
        + String.format(Locale.ROOT, "%.5f", q) + ", σ=" + String.format(Locale.ROOT, "%.4f", sigma));
    enqueue(id);
    return view(state.job(id).orElseThrow(), caller, false);
  }

  /** The datasets of a job, each visible to the caller and licensed for it to train on. */
  private List<Dataset> trainable(Caller caller, List<String> ids) throws ServiceException {
    if (ids.isEmpty() || ids.size() > MAX_DATASETS) {
      throw ServiceException.invalid("a job trains on 1 to " + MAX_DATASETS + " datasets, got " + ids.size());
    }
    String name = caller.principal().getName();
    List<Dataset> ds = new ArrayList<>();
    for (String id : new LinkedHashSet<>(ids)) {
      Dataset d = state.dataset(id).filter(x -> services.visible(caller, x))
          .orElseThrow(() -> ServiceException.notFound("no dataset " + id + " visible to you"));
      String why = trainRefusal(d, name);
      if (why != null) {
        throw ServiceException.denied(why);
      }
      ds.add(d);
    }
    return ds;
  }

  /** Why the license does not (or no longer) let this scientist train on the dataset; null when it does. */
  private String trainRefusal(Dataset d, String scientist) {
    if (Licenses.expired(d.license(), clock.millis())) {
      return "the license of dataset " + label(d) + " has expired";
    }
    if (!d.license().getTrainersList().contains(scientist)) {
      return "the license of dataset " + label(d) + " does not let '" + scientist + "' train on it";
    }
    return null;
  }

  private List<String> subjects(List<Dataset> ds, String scientist) {
    LinkedHashSet<String> s = new LinkedHashSet<>();
    ds.forEach(d -> s.add(d.id()));
    s.add(scientist);
    ds.forEach(d -> s.add(d.ownerFingerprint()));
    return List.copyOf(s);
  }

  private List<String> subjects(Job j) {
    List<Dataset> ds = new ArrayList<>();
    for (String id : j.getSpec().getDatasetIdsList()) {
      state.dataset(id).ifPresent(ds::add);
    }
    return subjects(ds, j.getScientistFingerprint());
  }

  static IUpdater updater(JobSpec spec) {
    return spec.getOptimizer() == Optimizer.ADAM ? new Adam(spec.getLearningRate()) : new Sgd(spec.getLearningRate());
  }

  private RdpAccountant accountant() {
    return state.ledger().accountant();
  }

  // ---- reading ----

  public List<Job> list(Caller caller) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    List<Job> out = new ArrayList<>();
    for (Job j : state.jobs()) {
      if (involves(caller, j)) {
        out.add(view(j, caller, false));
      }
    }
    return out;
  }

  public Job get(Caller caller, String jobId) throws ServiceException {
    return view(visibleJob(caller, jobId), caller, true);
  }

  private Job visibleJob(Caller caller, String jobId) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    return state.job(jobId).filter(j -> involves(caller, j))
        .orElseThrow(() -> ServiceException.notFound("no job " + jobId + " visible to you"));
  }

  /** Its scientist, an admin, or an owner of one of its datasets. */
  private boolean involves(Caller caller, Job j) {
    return switch (caller.principal().getRole()) {
      case ADMIN -> true;
      case SCIENTIST -> j.getScientistFingerprint().equals(caller.fingerprint());
      case OWNER -> j.getSpec().getDatasetIdsList().stream().anyMatch(id -> state.dataset(id)
          .map(d -> d.ownerFingerprint().equals(caller.fingerprint())).orElse(false));
      default -> false;
    };
  }

  /** A job as shown: live step, ε spent per dataset; never the model's JSON in listings. */
  private Job view(Job j, Caller caller, boolean withMetrics) {
    Job.Builder b = j.toBuilder();
    b.setSpec(j.getSpec().toBuilder().clearModelJson());
    Live l = live.get(j.getId());
    if (l != null && (j.getState() == JobState.RUNNING || j.getState() == JobState.QUEUED)) {
      b.setStep(Math.max(j.getStep(), l.step));
    }
    if (!withMetrics) {
      b.clearMetrics();
    }
    boolean owner = caller.principal().getRole() == Role.OWNER;
    for (String id : j.getSpec().getDatasetIdsList()) {
      // an owner sees the spending of its own datasets only, not other owners' budgets
      state.dataset(id).filter(d -> !owner || d.ownerFingerprint().equals(caller.fingerprint()))
          .ifPresent(d -> b.addSpent(spend(d)));
    }
    return b.build();
  }

  private DatasetSpend spend(Dataset d) {
    PrivacyGuarantee g = state.ledger().spent(d.id());
    return DatasetSpend.newBuilder().setDatasetId(d.id()).setName(d.manifest().getName()).setEpsilon(g.epsilon())
        .setDelta(g.delta()).setBudgetEpsilon(d.license().getEpsilon()).build();
  }

  // ---- cancel ----

  public Job cancel(Caller caller, String jobId) throws ServiceException, IOException {
    Job j = visibleJob(caller, jobId);
    boolean allowed = caller.principal().getRole() == Role.ADMIN
        || j.getScientistFingerprint().equals(caller.fingerprint());
    if (!allowed) {
      throw ServiceException.denied("only the job's scientist or an admin can cancel it");
    }
    if (terminal(j.getState())) {
      throw ServiceException.precondition("job " + jobId + " has already ended: " + j.getState());
    }
    // journaled, so that a restart before the job thread sees it does not run the job on
    services.record(new Event.JobCancelRequested(jobId, caller.principal().getName()), subjects(j));
    Live l = live.get(jobId);
    if (l != null) {
      l.cancelledBy = caller.principal().getName();
    } else {
      // no runner holds it (it would have been queued at boot): end it here
      finish(j, JobState.CANCELLED, "cancelled by " + caller.principal().getName() + " before it ran", j.getStep());
    }
    LOG.info(caller.describe() + " cancelled job " + jobId);
    return view(state.job(jobId).orElseThrow(), caller, false);
  }

  static boolean terminal(JobState s) {
    return s == JobState.COMPLETED || s == JobState.BUDGET_EXHAUSTED || s == JobState.CANCELLED
        || s == JobState.FAILED;
  }

  // ---- running ----

  private void run(String jobId) {
    Live l = live.get(jobId);
    Job job = state.job(jobId).orElse(null);
    if (l == null || job == null || terminal(job.getState())) {
      live.remove(jobId);
      return;
    }
    JobSpec spec = job.getSpec();
    List<String> ids = spec.getDatasetIdsList();
    long t0 = System.nanoTime();
    String journaledCancel = state.cancelRequestedBy(jobId);
    if (journaledCancel != null && l.cancelledBy == null) {
      l.cancelledBy = journaledCancel;
    }
    MultiLayerNetwork net = null;
    try {
      if (l.cancelledBy != null) {
        finish(job, JobState.CANCELLED, "cancelled by " + l.cancelledBy + " before it started", job.getStep());
        return;
      }
      String refusal = licenseRefusal(job);
      if (refusal != null) {
        finish(job, JobState.CANCELLED, refusal, job.getStep());
        return;
      }
      LabeledImages data = load(ids);
      net = ModelConfigs.build(ModelConfigs.parse(spec.getModelJson()), data.features(),
          data.classes(), updater(spec), spec.getSeed());
      CryptoRandom random = CryptoRandom.create();
      Path checkpoint = checkpointFile(jobId);
      DpSgdTrainer trainer = Files.exists(checkpoint)
          ? DpSgdTrainer.resume(readSealed(checkpoint, checkpointAd(jobId)), net, data, ids, random, state.ledger())
          : new DpSgdTrainer(net, data, state.ledger(), ids,
              new DpSgdTrainer.Settings(job.getSampleRate(), job.getNoiseMultiplier(), spec.getClipNorm()), random);
      try (trainer) {
        trainer.chargingThrough(charger(job));
        chargeWhatTheCheckpointHolds(job, trainer);
        l.step = trainer.steps();
        services.record(new Event.JobStarted(jobId, trainer.steps()), subjects(job));
        JobState end = JobState.COMPLETED;
        String message = "took all " + job.getTotalSteps() + " steps";
        while (trainer.steps() < job.getTotalSteps()) {
          if (stopping) {
            return; // a restart resumes from the last checkpoint
          }
          if (l.cancelledBy != null) {
            end = JobState.CANCELLED;
            message = "cancelled by " + l.cancelledBy + " at step " + trainer.steps();
            break;
          }
          refusal = licenseRefusal(job);
          if (refusal != null) {
            end = JobState.CANCELLED;
            message = refusal;
            break;
          }
          long block = Math.min(spec.getCheckpointEvery(), job.getTotalSteps() - trainer.steps());
          long fit = block;
          for (String id : ids) {
            fit = Math.min(fit, state.ledger().stepsThatFit(id, job.getSampleRate(), job.getNoiseMultiplier()));
          }
          if (fit == 0) {
            end = JobState.BUDGET_EXHAUSTED;
            message = "stopped at step " + trainer.steps() + " of " + job.getTotalSteps()
                + ": the next step would overrun the privacy budget of " + exhausted(job);
            break;
          }
          try {
            trainer.reserve(fit); // journaled through the charger before it returns
          } catch (BudgetExceededException e) {
            continue; // another job spent the room meanwhile: look again
          }
          for (long i = 0; i < fit && l.cancelledBy == null && !stopping; i++) {
            trainer.step();
            l.step = trainer.steps();
            if (trainer.steps() % spec.getMetricsEvery() == 0 && !stopping) {
              metrics(job, trainer);
            }
          }
          if (stopping) {
            return;
          }
          checkpoint(job, trainer);
        }
        saveModel(jobId, net);
        finish(job, end, message, trainer.steps());
        LOG.info("job " + jobId + " " + end + " after " + (System.nanoTime() - t0) / 1_000_000_000 + " s: " + message);
      }
    } catch (ModelValidationException e) {
      fail(job, e.getMessage());
    } catch (dev.rampart.coordinator.storage.SealedDataException e) {
      // a damaged dataset, checkpoint or model on the coordinator's disk: say which, not "internal error"
      LOG.log(Level.SEVERE, "job " + jobId + " failed: " + e.getMessage());
      fail(job, "the coordinator's stored data is damaged: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      if (stopping) {
        LOG.info("job " + jobId + " interrupted by shutdown: " + e);
        return;
      }
      LOG.log(Level.WARNING, "job " + jobId + " failed", e);
      fail(job, "internal error (" + e.getClass().getSimpleName() + "); the operator's log has details");
    } catch (BudgetExceededException e) {
      fail(job, e.getMessage());
    } catch (Error e) {
      // out of memory, a native library failure: the job cannot go on, and must not look RUNNING forever
      LOG.log(Level.SEVERE, "job " + jobId + " failed", e);
      fail(job, "the coordinator could not run it (" + e.getClass().getSimpleName() + "); the operator's log has"
          + " details");
    } finally {
      live.remove(jobId);
      if (net != null) {
        net.close(); // its native memory now: the model is sealed on disk, and a GC may not come for long
      }
    }
  }

  private void fail(Job job, String message) {
    try {
      Job now = state.job(job.getId()).orElse(job);
      finish(now, JobState.FAILED, message, now.getStep());
    } catch (IOException e) {
      LOG.log(Level.SEVERE, "could not journal the failure of job " + job.getId(), e);
    }
  }

  private String licenseRefusal(Job job) {
    Optional<dev.rampart.protocol.v1.Principal> scientist = state.principal(job.getScientistFingerprint());
    if (scientist.isEmpty() || scientist.get().getRevoked()) {
      return "the scientist's key was revoked";
    }
    for (String id : job.getSpec().getDatasetIdsList()) {
      Optional<Dataset> d = state.dataset(id);
      if (d.isEmpty()) {
        return "dataset " + id + " is gone";
      }
      String why = trainRefusal(d.get(), job.getScientistName());
      if (why != null) {
        return why;
      }
    }
    return null;
  }

  /**
   * A checkpoint ahead of the journal: the journal lost its last records (cut at a record boundary, which no hash
   * chain can tell from a clean end; or restored from an older copy) but the sealed checkpoint, written only after
   * its steps were charged and journaled, proves they were taken, and their metrics may have been read. So the
   * steps it holds beyond what the journal charged, and one metric for every metrics point among them, are charged
   * again (journaled as purpose {@code recovered}, without the budget check: the spending already happened) before
   * the job resumes. ε is then never under-counted; it may be over-counted, the conservative side.
   */
  private void chargeWhatTheCheckpointHolds(Job job, DpSgdTrainer trainer) throws IOException {
    long charged = state.trainStepsCharged(job.getId());
    long held = trainer.steps();
    if (held <= charged) {
      return;
    }
    long every = Math.max(1, job.getSpec().getMetricsEvery());
    long lastMetric = job.getMetricsCount() > 0 ? job.getLastMetrics().getStep() : 0;
    long lostMetrics = Math.max(0, held / every - lastMetric / every);
    long steps = held - charged + lostMetrics;
    services.record(new Event.PrivacyCharged(charge(job, steps), Event.PrivacyCharged.RECOVERED, held, charged),
        subjects(job));
    LOG.warning("job " + job.getId() + ": its sealed checkpoint is at step " + held + " but the journal charged only "
        + charged + " steps: the journal lost records (truncated, or an older copy). Charged the " + steps
        + " steps and metrics the checkpoint proves again before resuming; check the state directory's storage and"
        + " compare the journal with the owners' anchors (rampart agent audit verify --anchor)");
  }

  private String exhausted(Job job) {
    List<String> names = new ArrayList<>();
    for (String id : job.getSpec().getDatasetIdsList()) {
      if (state.ledger().stepsThatFit(id, job.getSampleRate(), job.getNoiseMultiplier()) == 0) {
        state.dataset(id).ifPresent(d -> names.add(label(d) + String.format(Locale.ROOT, " (ε %.4f of %s)",
            state.ledger().spent(id).epsilon(), d.license().getEpsilon())));
      }
    }
    return String.join(", ", names);
  }

  private static Event.Charge charge(Job job, long steps) {
    return new Event.Charge(job.getId(), job.getSpec().getDatasetIdsList(), job.getSampleRate(),
        job.getNoiseMultiplier(), steps);
  }

  /**
   * How a job's trainer charges: training steps are journaled as {@code privacy.charged} (checked, journaled, then
   * applied to the ledger) before the trainer takes them; a metric's step is only checked here, because its charge
   * is journaled with the metric itself ({@link #metrics}), again checked, before anyone can read it.
   */
  private DpSgdTrainer.Charger charger(Job job) {
    return (ids, segment, use) -> {
      if (use == DpSgdTrainer.Charger.Use.METRICS) {
        return state.ledger().check(ids, segment);
      }
      try {
        return services.charge(new Event.PrivacyCharged(new Event.Charge(job.getId(), ids, segment.sampleRate(),
            segment.noiseMultiplier(), segment.steps()), Event.PrivacyCharged.TRAIN, null, null), subjects(job));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  /**
   * A DP loss and accuracy, computed and then charged and journaled (checked against the budgets again: another job
   * may have spent the room meanwhile, and then the metric is dropped unread) before anyone can read them.
   */
  private void metrics(Job job, DpSgdTrainer trainer) throws IOException {
    dev.rampart.trainer.PrivateMetrics m;
    try {
      m = trainer.privateMetrics();
      services.charge(new Event.JobMetrics(charge(job, 1), trainer.steps(), m.loss(), m.accuracy()), subjects(job));
    } catch (BudgetExceededException e) {
      // no room for a metric: training steps matter more
    }
  }

  private void checkpoint(Job job, DpSgdTrainer trainer) throws IOException {
    byte[] bytes = trainer.checkpointBytes(false);
    SealedFiles.writeStream(keys.streaming(), checkpointFile(job.getId()), checkpointAd(job.getId()),
        out -> out.write(bytes));
    services.record(new Event.JobCheckpointed(job.getId(), trainer.steps()), subjects(job));
    LOG.info("job " + job.getId() + " checkpointed at step " + trainer.steps() + " of " + job.getTotalSteps());
  }

  private void saveModel(String jobId, MultiLayerNetwork net) throws IOException {
    byte[] bytes = ModelFile.write(net);
    SealedFiles.writeStream(keys.streaming(), modelFile(jobId), modelAd(jobId), out -> out.write(bytes));
  }

  private void finish(Job job, JobState end, String message, long step) throws IOException {
    services.record(new Event.JobFinished(job.getId(), end, message, step), subjects(job));
    var f = finished.remove(job.getId());
    if (f != null) {
      f.complete(state.job(job.getId()).orElseThrow());
    }
  }

  /**
   * Completes with the job (as the state holds it, ε spending not filled in) once it has ended: for callers in
   * this process (services embedding the coordinator, tests) that would otherwise poll.
   */
  public java.util.concurrent.CompletableFuture<Job> whenFinished(String jobId) {
    var f = finished.computeIfAbsent(jobId, k -> new java.util.concurrent.CompletableFuture<>());
    // registered first, then checked: a finish in between completes it either way
    state.job(jobId).filter(j -> terminal(j.getState())).ifPresent(j -> {
      finished.remove(jobId);
      f.complete(j);
    });
    return f;
  }

  /** Reads every dataset completely (each segment authenticated) before training touches any of it. */
  private LabeledImages load(List<String> ids) throws IOException {
    List<InputStream> streams = new ArrayList<>();
    try {
      for (String id : ids) {
        streams.add(store.open(id));
      }
      return LabeledImages.readCanonical(streams);
    } finally {
      for (InputStream in : streams) {
        try {
          in.close();
        } catch (IOException e) {
          LOG.fine("closing a dataset stream: " + e.getMessage());
        }
      }
    }
  }

  private Path jobDir(String jobId) throws IOException {
    if (!jobId.matches("[0-9a-f-]{36}")) {
      throw new IllegalArgumentException("a job id is a UUID");
    }
    Path dir = jobsDir.resolve(jobId);
    Files.createDirectories(dir);
    return dir;
  }

  private Path checkpointFile(String jobId) throws IOException {
    return jobDir(jobId).resolve("checkpoint.sealed");
  }

  private Path modelFile(String jobId) throws IOException {
    return jobDir(jobId).resolve("model.sealed");
  }

  private static String checkpointAd(String jobId) {
    return "rampart-checkpoint/v1|" + jobId;
  }

  private static String modelAd(String jobId) {
    return "rampart-model/v1|" + jobId;
  }

  private byte[] readSealed(Path file, String ad) throws IOException {
    try (InputStream in = SealedFiles.openStream(keys.streaming(), file, ad)) {
      return in.readAllBytes();
    }
  }

  // ---- weight release ----

  public FetchModelResponse fetchModel(Caller caller, FetchModelRequest r) throws ServiceException, IOException {
    Services.requireRole(caller, Role.SCIENTIST);
    Job j = state.job(r.getJobId()).filter(x -> x.getScientistFingerprint().equals(caller.fingerprint()))
        .orElseThrow(() -> ServiceException.notFound("no job " + r.getJobId() + " of yours"));
    if (j.getState() == JobState.FAILED) {
      throw ServiceException.precondition("job " + j.getId() + " failed (" + j.getMessage() + "): it has no model");
    }
    if (!terminal(j.getState())) {
      throw ServiceException.precondition("job " + j.getId() + " is " + j.getState() + "; fetch its model when it has"
          + " ended");
    }
    if (!Files.exists(modelFile(j.getId()))) {
      throw ServiceException.precondition("job " + j.getId() + " ended " + j.getState() + " without a model ("
          + j.getMessage() + ")");
    }
    if (r.getOffset() < 0) {
      throw ServiceException.invalid("offset must be >= 0");
    }
    List<Dataset> ds = new ArrayList<>();
    for (String id : j.getSpec().getDatasetIdsList()) {
      ds.add(state.dataset(id).orElseThrow(() -> ServiceException.precondition("dataset " + id + " is gone")));
    }
    License l = Licenses.intersect(ds.stream().map(Dataset::license).toList());
    String name = caller.principal().getName();
    if (Licenses.expired(l, clock.millis())) {
      throw ServiceException.denied("a license of this job's datasets has expired: the weights stay inside");
    }
    if (l.getWeightRelease() == WeightRelease.NEVER) {
      throw ServiceException.denied("the licenses of this job's datasets never release weights: "
          + neverReleasing(ds));
    }
    if (!l.getReleaseToList().contains(name)) {
      throw ServiceException.denied("the licenses of this job's datasets do not release weights to '" + name + "'");
    }
    FetchModelResponse.Builder out = FetchModelResponse.newBuilder().setLicense(l);
    String approvalId = "";
    if (l.getWeightRelease() == WeightRelease.AFTER_OWNER_APPROVAL) {
      // who must approve now, from the current licenses; only requests for exactly this job's datasets count
      Set<String> required = new LinkedHashSet<>();
      for (Dataset d : ds) {
        if (Licenses.weightRelease(d.license()) == WeightRelease.AFTER_OWNER_APPROVAL) {
          required.add(d.ownerFingerprint());
        }
      }
      Set<String> jobDatasets = Set.copyOf(j.getSpec().getDatasetIdsList());
      List<ApprovalRequest> requests = state.approvals().stream()
          .filter(a -> a.getKind().equals("weight-release") && a.getSubject().equals(j.getId())
              && a.getRequesterFingerprint().equals(caller.fingerprint())
              && Set.copyOf(a.getDatasetIdsList()).equals(jobDatasets))
          .sorted(Comparator.comparingLong(ApprovalRequest::getCreatedAtMillis)).toList();
      Set<String> approvedBy = new LinkedHashSet<>();
      for (ApprovalRequest a : requests) {
        for (ApprovalDecision dec : a.getDecisionsList()) {
          if (!dec.getApprove()) {
            // a denial is final for this job: no later request can outvote it
            return out.setReleased(false).setApproval(services.withNames(a)).build();
          }
          approvedBy.add(dec.getOwnerFingerprint());
        }
      }
      if (!approvedBy.containsAll(required)) {
        Set<String> missing = new LinkedHashSet<>(required);
        missing.removeAll(approvedBy);
        Optional<ApprovalRequest> waiting = requests.stream()
            .filter(a -> a.getState() == ApprovalState.PENDING && a.getPendingOwnersList().containsAll(missing))
            .reduce((first, second) -> second);
        ApprovalRequest shown = waiting.isPresent() ? services.withNames(waiting.get())
            : services.requestApproval(caller, RequestApprovalRequest.newBuilder().setKind("weight-release")
                .setSubject(j.getId()).addAllDatasetIds(j.getSpec().getDatasetIdsList()).build());
        return out.setReleased(false).setApproval(shown).build();
      }
      approvalId = requests.isEmpty() ? "" : requests.get(requests.size() - 1).getId();
    }
    byte[] model = sealedModel(j.getId());
    if (r.getOffset() > model.length) {
      throw ServiceException.invalid("offset " + r.getOffset() + " is past the model's " + model.length + " bytes");
    }
    String sha = sha256Hex(model);
    String release = j.getId() + "|" + caller.fingerprint() + "|" + sha;
    if (r.getOffset() == 0 || !released.contains(release)) {
      // the release itself is journaled (and forced) before any byte of it leaves, whatever piece comes first
      services.record(new Event.ModelReleased(j.getId(), caller.fingerprint(), name, approvalId, sha, model.length),
          subjects(j));
      released.add(release);
      LOG.info("released the weights of job " + j.getId() + " to " + caller.describe());
    }
    int from = (int) r.getOffset();
    int to = Math.min(model.length, from + FETCH_PIECE);
    return out.setReleased(true).setModel(ByteString.copyFrom(model, from, to - from)).setTotalBytes(model.length)
        .setModelSha256(ByteString.copyFrom(HexFormat.of().parseHex(sha))).build();
  }

  /** The last model read, decrypted: a download asks for it piece by piece. */
  private final Map<String, byte[]> modelCache = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
          return size() > 2;
        }
      });

  /** Releases journaled in this run (job|scientist|sha): later pieces of a journaled release need no new entry. */
  private final Set<String> released = ConcurrentHashMap.newKeySet();

  private byte[] sealedModel(String jobId) throws IOException {
    byte[] cached = modelCache.get(jobId);
    if (cached == null) {
      cached = readSealed(modelFile(jobId), modelAd(jobId));
      modelCache.put(jobId, cached);
    }
    return cached;
  }

  private static String neverReleasing(List<Dataset> ds) {
    List<String> names = new ArrayList<>();
    for (Dataset d : ds) {
      if (Licenses.weightRelease(d.license()) == WeightRelease.NEVER) {
        names.add(label(d));
      }
    }
    return String.join(", ", names);
  }

  // ---- evaluation ----

  public EvaluateResponse evaluate(Caller caller, EvaluateRequest r) throws ServiceException, IOException {
    Services.requireRole(caller, Role.SCIENTIST);
    Job j = state.job(r.getJobId()).filter(x -> x.getScientistFingerprint().equals(caller.fingerprint()))
        .orElseThrow(() -> ServiceException.notFound("no job " + r.getJobId() + " of yours"));
    if (!terminal(j.getState()) || !Files.exists(modelFile(j.getId()))) {
      throw ServiceException.precondition("job " + j.getId() + " is " + j.getState() + "; evaluate it when it has"
          + " ended");
    }
    String name = caller.principal().getName();
    Dataset d = state.dataset(r.getDatasetId()).filter(x -> services.visible(caller, x))
        .orElseThrow(() -> ServiceException.notFound("no dataset " + r.getDatasetId() + " visible to you"));
    if (Licenses.expired(d.license(), clock.millis()) || !d.license().getEvaluatorsList().contains(name)) {
      throw ServiceException.denied("the license of dataset " + label(d) + " does not let '" + name
          + "' evaluate on it");
    }
    // the model carries its training datasets' licenses: each must still let the caller evaluate it
    List<Dataset> trained = new ArrayList<>();
    for (String id : j.getSpec().getDatasetIdsList()) {
      trained.add(state.dataset(id).orElseThrow(() -> ServiceException.precondition("dataset " + id + " is gone")));
    }
    for (Dataset t : trained) {
      if (Licenses.expired(t.license(), clock.millis()) || !t.license().getEvaluatorsList().contains(name)) {
        throw ServiceException.denied("the license of dataset " + label(t) + ", which trained this model, does not"
            + " let '" + name + "' evaluate the model");
      }
    }
    double epsilon = r.getEpsilon() == 0 ? DEFAULT_EVALUATION_EPSILON : r.getEpsilon();
    if (!(epsilon > 0) || !Double.isFinite(epsilon) || epsilon > Licenses.MAX_EPSILON) {
      throw ServiceException.invalid("epsilon must be in (0, " + Licenses.MAX_EPSILON + "], got " + r.getEpsilon());
    }
    double delta = d.license().getDelta();
    double sigma;
    try {
      sigma = accountant().calibrateNoise(1.0, 1, epsilon, delta, CALIBRATION_TOLERANCE).noiseMultiplier();
    } catch (TargetUnreachableException e) {
      throw ServiceException.invalid("epsilon " + epsilon + " is too small for one answer at δ=" + delta + ": "
          + e.getMessage());
    }
    if (state.ledger().stepsThatFit(d.id(), 1.0, sigma) < 1) {
      throw ServiceException.precondition(String.format(Locale.ROOT, "dataset %s has spent ε=%.4f of its budget"
          + " ε=%s: an answer at ε=%s does not fit", label(d), state.ledger().spent(d.id()).epsilon(),
          d.license().getEpsilon(), epsilon));
    }
    MultiLayerNetwork net;
    try {
      net = ModelFile.read(sealedModel(j.getId()));
    } catch (ModelValidationException e) {
      throw new IOException("the sealed model of job " + j.getId() + " does not load: " + e.getMessage(), e);
    }
    Dataset trainedOn = state.dataset(j.getSpec().getDatasetIds(0)).orElseThrow();
    if (d.manifest().getFeatures() != trainedOn.manifest().getFeatures()
        || d.manifest().getClasses() != trainedOn.manifest().getClasses()) {
      net.close();
      throw ServiceException.invalid("dataset " + label(d) + " has " + d.manifest().getFeatures() + " features and "
          + d.manifest().getClasses() + " classes; the job's model takes " + trainedOn.manifest().getFeatures()
          + " and " + trainedOn.manifest().getClasses());
    }
    LabeledImages data;
    // check, compute, then charge and journal (checked again: another charge may have come in between), answer:
    // the answer leaves only after its cost is on disk
    Event.Charge cost = new Event.Charge(j.getId(), List.of(d.id()), 1.0, sigma, 1);
    try {
      state.ledger().check(cost.datasetIds(), cost.segment());
      data = load(List.of(d.id()));
    } catch (BudgetExceededException e) {
      net.close();
      throw ServiceException.precondition(e.getMessage());
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
    DpEvaluation.Result result;
    try {
      result = DpEvaluation.accuracy(net, data, sigma, CryptoRandom.create());
    } finally {
      net.close(); // native memory now, not at a later GC
    }
    List<Dataset> involved = new ArrayList<>(trained);
    involved.add(d);
    PrivacyGuarantee spent;
    try {
      spent = services.charge(new Event.JobEvaluated(cost, d.id(), result.accuracy(), result.noiseStddev(), epsilon),
          subjects(involved, caller.fingerprint())).get(d.id());
    } catch (BudgetExceededException e) {
      throw ServiceException.precondition(e.getMessage()); // the result is dropped unread
    }
    LOG.info(caller.describe() + " evaluated job " + j.getId() + " on dataset " + label(d) + " (ε " + epsilon + ")");
    return EvaluateResponse.newBuilder().setAccuracy(result.accuracy()).setNoiseStddev(result.noiseStddev())
        .setEpsilonCharged(epsilon).setSpent(spend(d).toBuilder().setEpsilon(spent.epsilon())).build();
  }

  // ---- helpers ----

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  static String label(Dataset d) {
    return "'" + d.manifest().getName() + "' (" + d.id().substring(0, 12) + "…)";
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops taking jobs; running ones stop at their next step (a restart resumes them from their last checkpoint).
   * Job threads are not interrupted: an interrupt during a write closes the file channel under it (NIO), which
   * would break the journal; they are waited for instead, so that nothing writes once this returns.
   */
  @Override
  public void close() {
    stopping = true;
    runners.shutdown();
    try {
      if (!runners.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warning("a job thread did not stop within 60 s (still loading its data?)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
