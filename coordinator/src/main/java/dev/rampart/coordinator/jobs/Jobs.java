package dev.rampart.coordinator.jobs;

import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.approvals.Approvals;
import dev.rampart.coordinator.datasets.Datasets;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.protocol.v1.*;
import dev.rampart.trainer.ModelConfigs;
import dev.rampart.trainer.ModelValidationException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import static dev.rampart.coordinator.jobs.JobSupport.*;

/**
 * Training jobs as their callers see them: submission (planned by {@link JobPlanner}, the model validated, then
 * journaled and queued for the {@link JobRunner}), listing, reading and cancelling. Weight release and DP evaluation
 * are {@link WeightReleases} and {@link Evaluations}.
 */
public final class Jobs implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Jobs.class.getName());
  static final int MAX_DATASETS = 16;
  static final int VALIDATION_WAIT_SECONDS = 30;

  private final Recorder recorder;
  private final CoordinatorState state;
  private final Datasets datasets;
  private final JobRunner runner;
  private final Clock clock;
  /** Models being validated at submission, in all and per caller (each holds a network's native memory). */
  private final java.util.concurrent.Semaphore validations = new java.util.concurrent.Semaphore(2);
  private final Map<String, java.util.concurrent.Semaphore> validating = new ConcurrentHashMap<>();

  Jobs(Recorder recorder, Datasets datasets, JobRunner runner, Clock clock) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.datasets = datasets;
    this.runner = runner;
    this.clock = clock;
  }

  /** The job capabilities, sharing one runner and the job files. */
  public record Capabilities(Jobs jobs, WeightReleases releases, Evaluations evaluations) {}

  /** Opens the jobs directory (deleting temporary files of interrupted writes) and starts the runner. */
  public static Capabilities open(Recorder recorder, Datasets datasets, Approvals approvals, DatasetStore store,
      SealingKeys keys, Path stateDir, int threads, Clock clock) throws IOException {
    JobFiles files = new JobFiles(store, keys, stateDir);
    JobRunner runner = new JobRunner(recorder, files, threads, clock);
    return new Capabilities(new Jobs(recorder, datasets, runner, clock),
        new WeightReleases(recorder, approvals, files, clock), new Evaluations(recorder, datasets, files, clock));
  }

  /** Whether a job has ended (and will not run again). */
  public static boolean terminal(JobState s) {
    return s == JobState.COMPLETED || s == JobState.BUDGET_EXHAUSTED || s == JobState.CANCELLED
        || s == JobState.FAILED;
  }

  /** After the journal replay: queues every job a previous run left queued or running. */
  public void resumeUnfinished() {
    runner.resumeUnfinished();
  }

  /**
   * Completes with the job (as the state holds it, ε spending not filled in) once it has ended: for callers in
   * this process (services embedding the coordinator, tests) that would otherwise poll.
   */
  public java.util.concurrent.CompletableFuture<Job> whenFinished(String jobId) {
    return runner.whenFinished(jobId);
  }

  public Job submit(Caller caller, SubmitJobRequest r) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.SCIENTIST);
    JobSpec spec = r.getSpec();
    String name = caller.principal().getName();
    List<Dataset> ds = trainable(caller, spec.getDatasetIdsList());
    JobPlanner.Plan plan = JobPlanner.plan(spec, ds, state.ledger());

    // last: it allocates the network (the budget and the cheap checks come first; ModelConfigs refuses what it can
    // from the configuration before allocating). One validation per caller at a time, two in all: a caller
    // cannot hold more than one model's memory, nor make others wait long
    java.util.concurrent.Semaphore mine = validating.computeIfAbsent(caller.fingerprint(),
        k -> new java.util.concurrent.Semaphore(1));
    if (!mine.tryAcquire()) {
      throw ServiceException.exhausted("your previous submission is"
          + " still being validated; wait for its answer before submitting again");
    }
    try {
      if (!validations.tryAcquire(VALIDATION_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        throw ServiceException.exhausted("the coordinator is"
            + " validating other models; retry in a minute");
      }
      try {
        ModelConfigs.build(plan.conf(), plan.features(), plan.classes(), updater(plan.spec()), spec.getSeed()).close();
      } catch (ModelValidationException e) {
        throw ServiceException.invalid("the model is not accepted: " + e.getMessage());
      } finally {
        validations.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ServiceException.unavailable("the coordinator is shutting down");
    } finally {
      mine.release();
    }
    String id = UUID.randomUUID().toString();
    recorder.record(new Event.JobSubmitted(id, caller.fingerprint(), name, sha256Hex(plan.modelBytes()), plan.steps(),
        plan.sampleRate(), plan.noiseMultiplier(), plan.spec()), subjects(ds, caller.fingerprint()));
    LOG.info(caller.describe() + " submitted job " + id + ": " + plan.steps() + " steps on " + ds.size() + " dataset(s), q="
        + String.format(Locale.ROOT, "%.5f", plan.sampleRate()) + ", σ=" + String.format(Locale.ROOT, "%.4f", plan.noiseMultiplier()));
    runner.enqueue(id);
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
      Dataset d = state.dataset(id).filter(x -> datasets.visible(caller, x))
          .orElseThrow(() -> ServiceException.notFound("no dataset " + id + " visible to you"));
      String why = trainRefusal(d, name, clock.millis());
      if (why != null) {
        throw ServiceException.denied(why);
      }
      ds.add(d);
    }
    return ds;
  }

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
    JobRunner.Live l = runner.live(j.getId());
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
          .ifPresent(d -> b.addSpent(spend(state, d)));
    }
    return b.build();
  }

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
    recorder.record(new Event.JobCancelRequested(jobId, caller.principal().getName()), subjects(state, j));
    JobRunner.Live l = runner.live(jobId);
    if (l != null) {
      l.cancelledBy = caller.principal().getName();
    } else {
      // no runner holds it (it would have been queued at boot): end it here
      runner.finish(j, JobState.CANCELLED, "cancelled by " + caller.principal().getName() + " before it ran", j.getStep());
    }
    LOG.info(caller.describe() + " cancelled job " + jobId);
    return view(state.job(jobId).orElseThrow(), caller, false);
  }

  /** Stops the runner (see {@link JobRunner#close}). */
  @Override
  public void close() {
    runner.close();
  }
}
