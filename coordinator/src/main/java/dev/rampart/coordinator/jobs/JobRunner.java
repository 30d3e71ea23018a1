package dev.rampart.coordinator.jobs;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.v1.*;
import dev.rampart.trainer.CryptoRandom;
import dev.rampart.trainer.DpSgdTrainer;
import dev.rampart.trainer.LabeledExamples;
import dev.rampart.trainer.ModelConfigs;
import dev.rampart.trainer.ModelFile;
import dev.rampart.trainer.ModelValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import static dev.rampart.coordinator.jobs.JobSupport.*;

/**
 * Runs jobs on their own threads: loads the datasets, builds or resumes the trainer, and works in blocks of
 * {@code checkpoint_every} steps, each block charged (checked, journaled, applied) before it is taken, DP metrics
 * charged with their values, a sealed checkpoint after each block; at the end the sealed model and
 * {@code job.finished}. docs/jobs.md describes the loop.
 */
public final class JobRunner implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JobRunner.class.getName());

  private final Recorder recorder;
  private final CoordinatorState state;
  private final JobFiles files;
  private final Clock clock;
  private final ExecutorService runners;
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  /** Futures of {@link #whenFinished}, completed by {@link #finish}. */
  private final Map<String, java.util.concurrent.CompletableFuture<Job>> finished = new ConcurrentHashMap<>();
  /** Set when the coordinator shuts down: jobs stop between steps and stay RUNNING in the journal. */
  private volatile boolean stopping;

  /** What a running job shows between journal entries. */
  static final class Live {
    volatile long step;
    volatile String cancelledBy;
  }

  JobRunner(Recorder recorder, JobFiles files, int threads, Clock clock) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.files = files;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.runners = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "rampart-job-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** After the journal replay: queues every job a previous run left queued or running. */
  void resumeUnfinished() {
    for (Job j : state.jobs()) {
      if (j.getState() == JobState.QUEUED || j.getState() == JobState.RUNNING) {
        LOG.info("job " + j.getId() + " was " + j.getState() + " when the coordinator stopped: resuming from step "
            + j.getStep());
        enqueue(j.getId());
      }
    }
  }

  void enqueue(String jobId) {
    if (live.putIfAbsent(jobId, new Live()) == null) {
      runners.execute(() -> run(jobId));
    }
  }

  /** The job's live progress while a runner holds it, or null. */
  Live live(String jobId) {
    return live.get(jobId);
  }

  private void run(String jobId) {
    Live l = live.get(jobId);
    Job job = state.job(jobId).orElse(null);
    if (l == null || job == null || Jobs.terminal(job.getState())) {
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
      LabeledExamples data = files.load(ids);
      net = ModelConfigs.build(ModelConfigs.parse(spec.getModelJson()), data.features(),
          data.classes(), updater(spec), spec.getSeed());
      CryptoRandom random = CryptoRandom.create();
      Path checkpoint = files.checkpointFile(jobId);
      DpSgdTrainer trainer = Files.exists(checkpoint)
          ? DpSgdTrainer.resume(files.readSealed(checkpoint, JobFiles.checkpointAd(jobId)), net, data, ids, random, state.ledger())
          : new DpSgdTrainer(net, data, state.ledger(), ids,
              new DpSgdTrainer.Settings(job.getSampleRate(), job.getNoiseMultiplier(), spec.getClipNorm()), random);
      try (trainer) {
        trainer.chargingThrough(charger(job));
        chargeWhatTheCheckpointHolds(job, trainer);
        l.step = trainer.steps();
        recorder.record(new Event.JobStarted(jobId, trainer.steps()), subjects(state, job));
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
      String why = trainRefusal(d.get(), job.getScientistName(), clock.millis());
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
    recorder.record(new Event.PrivacyCharged(charge(job, steps), Event.PrivacyCharged.RECOVERED, held, charged),
        subjects(state, job));
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
        return recorder.charge(new Event.PrivacyCharged(new Event.Charge(job.getId(), ids, segment.sampleRate(),
            segment.noiseMultiplier(), segment.steps()), Event.PrivacyCharged.TRAIN, null, null), subjects(state, job));
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
      recorder.charge(new Event.JobMetrics(charge(job, 1), trainer.steps(), m.loss(), m.accuracy()), subjects(state, job));
    } catch (BudgetExceededException e) {
      // no room for a metric: training steps matter more
    }
  }

  private void checkpoint(Job job, DpSgdTrainer trainer) throws IOException {
    files.writeCheckpoint(job.getId(), trainer.checkpointBytes(false));
    recorder.record(new Event.JobCheckpointed(job.getId(), trainer.steps()), subjects(state, job));
    LOG.info("job " + job.getId() + " checkpointed at step " + trainer.steps() + " of " + job.getTotalSteps());
  }

  private void saveModel(String jobId, MultiLayerNetwork net) throws IOException {
    files.writeModel(jobId, ModelFile.write(net));
  }

  void finish(Job job, JobState end, String message, long step) throws IOException {
    recorder.record(new Event.JobFinished(job.getId(), end, message, step), subjects(state, job));
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
    state.job(jobId).filter(j -> Jobs.terminal(j.getState())).ifPresent(j -> {
      finished.remove(jobId);
      f.complete(j);
    });
    return f;
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
