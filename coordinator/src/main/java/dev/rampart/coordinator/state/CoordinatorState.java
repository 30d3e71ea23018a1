package dev.rampart.coordinator.state;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.DpMetrics;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the coordinator knows about principals, datasets, approvals, jobs and privacy spending, rebuilt at boot
 * by replaying the audit journal and changed at run time only by appending an entry and applying it: both go
 * through {@link #apply}, the same code for the same {@link Event}, so the journal is the single source of truth.
 * Charges reach the ledger only here (a live charge is checked against the budget first, under the caller's lock,
 * then journaled, then applied). Thread-safe; reads return immutable protobuf values.
 */
public final class CoordinatorState {
  /** A dataset as stored. */
  public record Dataset(DatasetManifest manifest, String ownerFingerprint, License license, long storedAtMillis) {
    public String id() {
      return manifest.getDatasetId();
    }

    /** The dataset as messages name it: its name and the start of its id. */
    public String label() {
      return "'" + manifest.getName() + "' (" + id().substring(0, Math.min(12, id().length())) + "…)";
    }
  }

  private final Map<String, Principal> principals = new LinkedHashMap<>();
  private final Map<String, Dataset> datasets = new LinkedHashMap<>();
  private final Map<String, ApprovalRequest> approvals = new LinkedHashMap<>();
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Map<String, String> cancelRequests = new LinkedHashMap<>();
  /** Per job, the training steps the journal has charged (reservations included, so at least those taken). */
  private final Map<String, Long> trainStepsCharged = new LinkedHashMap<>();
  private final PrivacyLedger ledger = new PrivacyLedger();

  /** Every dataset's budget and spending, rebuilt from the journal; changed only by {@link #apply}. */
  public PrivacyLedger ledger() {
    return ledger;
  }

  /** Applies one event, journaled at {@code timeMillis}. */
  public synchronized void apply(Event event, long timeMillis) {
    if (event instanceof Event.Charging c) {
      // every charge in the journal passed the budget check when it was made (or is a recovery of spending
      // that happened): the ledger takes it as it stands
      ledger.replay(c.charge().datasetIds(), c.charge().segment());
    }
    if (event instanceof Event.PrincipalEnrolled e) {
      principals.put(e.fingerprint(), Principal.newBuilder().setFingerprint(e.fingerprint()).setRole(e.role())
          .setName(e.name()).setEnrolledAtMillis(timeMillis).build());
    } else if (event instanceof Event.PrincipalRevoked e) {
      Principal old = principals.get(e.fingerprint());
      if (old != null) {
        principals.put(old.getFingerprint(), old.toBuilder().setRevoked(true).build());
      }
    } else if (event instanceof Event.DatasetStored e) {
      License l = e.license();
      datasets.put(e.manifest().getDatasetId(), new Dataset(e.manifest(), e.owner(), l, timeMillis));
      ledger.open(e.manifest().getDatasetId(), new PrivacyBudget(l.getEpsilon(), l.getDelta()));
    } else if (event instanceof Event.LicenseSet e) {
      Dataset d = datasets.get(e.datasetId());
      if (d != null) {
        License l = e.license();
        datasets.put(d.id(), new Dataset(d.manifest(), d.ownerFingerprint(), l, d.storedAtMillis()));
        ledger.changeBudget(d.id(), new PrivacyBudget(l.getEpsilon(), l.getDelta()));
      }
    } else if (event instanceof Event.ApprovalRequested e) {
      approvals.put(e.id(), ApprovalRequest.newBuilder().setId(e.id()).setKind(e.kind()).setSubject(e.subject())
          .setRequesterFingerprint(e.requester()).setRequesterName(e.requesterName()).setState(ApprovalState.PENDING)
          .setCreatedAtMillis(timeMillis).addAllDatasetIds(e.datasetIds()).addAllPendingOwners(e.pendingOwners())
          .build());
    } else if (event instanceof Event.ApprovalDecided e) {
      ApprovalRequest r = approvals.get(e.id());
      if (r != null) {
        List<String> pending = new ArrayList<>(r.getPendingOwnersList());
        pending.remove(e.owner());
        ApprovalRequest.Builder b = r.toBuilder().clearPendingOwners().addAllPendingOwners(pending)
            .addDecisions(ApprovalDecision.newBuilder().setOwnerFingerprint(e.owner()).setOwnerName(e.ownerName())
                .setApprove(e.approve()).setReason(e.reason()).setDecidedAtMillis(timeMillis));
        if (!e.approve()) {
          b.setState(ApprovalState.DENIED);
        } else if (pending.isEmpty()) {
          b.setState(ApprovalState.APPROVED);
        }
        approvals.put(r.getId(), b.build());
      }
    } else if (event instanceof Event.JobSubmitted e) {
      jobs.put(e.id(), Job.newBuilder().setId(e.id()).setScientistFingerprint(e.scientist())
          .setScientistName(e.scientistName()).setSpec(e.spec()).setModelSha256(e.modelSha256())
          .setState(JobState.QUEUED).setTotalSteps(e.totalSteps()).setSampleRate(e.sampleRate())
          .setNoiseMultiplier(e.noiseMultiplier()).setSubmittedAtMillis(timeMillis).build());
    } else if (event instanceof Event.JobStarted e) {
      updateJob(e.job(), j -> j.setState(JobState.RUNNING).setMessage(""));
    } else if (event instanceof Event.PrivacyCharged e) {
      trainStepsCharged.merge(e.charge().job(), e.charge().steps(), Long::sum);
    } else if (event instanceof Event.JobMetrics e) {
      DpMetrics m = DpMetrics.newBuilder().setStep(e.step()).setLoss(e.loss()).setAccuracy(e.accuracy()).build();
      updateJob(e.charge().job(), j -> j.setLastMetrics(m).addMetrics(m).setStep(Math.max(j.getStep(), m.getStep())));
    } else if (event instanceof Event.JobCancelRequested e) {
      cancelRequests.put(e.job(), e.by());
    } else if (event instanceof Event.JobCheckpointed e) {
      updateJob(e.job(), j -> j.setStep(Math.max(j.getStep(), e.step())));
    } else if (event instanceof Event.JobFinished e) {
      updateJob(e.job(), j -> j.setState(e.state()).setMessage(e.message()).setStep(Math.max(j.getStep(), e.step()))
          .setFinishedAtMillis(timeMillis));
    } else if (event instanceof Event.ModelReleased || event instanceof Event.JobEvaluated) {
      // the record itself (and, for an evaluation, its charge above) is all there is
    } else {
      throw new IllegalArgumentException("no rule applies " + event.type());
    }
  }

  private void updateJob(String jobId, java.util.function.Consumer<Job.Builder> change) {
    Job j = jobs.get(jobId);
    if (j != null) {
      Job.Builder b = j.toBuilder();
      change.accept(b);
      jobs.put(j.getId(), b.build());
    }
  }

  /** A protobuf value as it is written into journal payloads: its canonical JSON. */
  public static String json(Message m) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public synchronized Optional<Principal> principal(String fingerprint) {
    return Optional.ofNullable(principals.get(fingerprint));
  }

  public synchronized Optional<Principal> activePrincipalNamed(String name) {
    return principals.values().stream().filter(p -> !p.getRevoked() && p.getName().equals(name)).findFirst();
  }

  /** Any principal ever enrolled under this name, revoked or not. */
  public synchronized Optional<Principal> principalNamed(String name) {
    return principals.values().stream().filter(p -> p.getName().equals(name)).findFirst();
  }

  public synchronized List<Principal> principals() {
    return List.copyOf(principals.values());
  }

  public synchronized Optional<Dataset> dataset(String id) {
    return Optional.ofNullable(datasets.get(id));
  }

  public synchronized List<Dataset> datasets() {
    return List.copyOf(datasets.values());
  }

  public synchronized Optional<ApprovalRequest> approval(String id) {
    return Optional.ofNullable(approvals.get(id));
  }

  public synchronized List<ApprovalRequest> approvals() {
    return List.copyOf(approvals.values());
  }

  /**
   * The training steps the journal has charged to a job: every reservation and recovered charge. A job's
   * checkpoint never holds more steps than this unless the journal lost records (see {@code JobRunner}).
   */
  public synchronized long trainStepsCharged(String jobId) {
    return trainStepsCharged.getOrDefault(jobId, 0L);
  }

  public synchronized Optional<Job> job(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  /** Who asked to cancel the job (journaled), or null. */
  public synchronized String cancelRequestedBy(String jobId) {
    return cancelRequests.get(jobId);
  }

  public synchronized List<Job> jobs() {
    return List.copyOf(jobs.values());
  }
}
