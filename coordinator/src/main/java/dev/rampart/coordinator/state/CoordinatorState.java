package dev.rampart.coordinator.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import dev.rampart.accountant.Segment;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.DpMetrics;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Principal;
import dev.rampart.protocol.v1.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the coordinator knows about principals, datasets, approvals, jobs and privacy spending, rebuilt at boot by replaying the
 * audit journal ({@link #apply}) and changed at run time only by appending an entry and applying it, so the
 * journal is the single source of truth. Thread-safe; reads return immutable protobuf values.
 */
public final class CoordinatorState {
  /** Journal entry types that change this state. */
  public static final String ENROLLED = "principal.enrolled";
  public static final String REVOKED = "principal.revoked";
  public static final String DATASET_STORED = "dataset.stored";
  public static final String LICENSE_SET = "license.set";
  public static final String APPROVAL_REQUESTED = "approval.requested";
  public static final String APPROVAL_DECIDED = "approval.decided";
  public static final String JOB_SUBMITTED = "job.submitted";
  public static final String JOB_STARTED = "job.started";
  /** Steps charged to datasets' budgets before they are taken. */
  public static final String PRIVACY_CHARGED = "privacy.charged";
  /** A DP metric released to the scientist, with its charge. */
  public static final String JOB_METRICS = "job.metrics";
  public static final String JOB_CHECKPOINTED = "job.checkpointed";
  public static final String JOB_CANCEL_REQUESTED = "job.cancel-requested";
  public static final String JOB_FINISHED = "job.finished";
  public static final String MODEL_RELEASED = "model.released";
  /** A DP evaluation released to the scientist, with its charge. */
  public static final String JOB_EVALUATED = "job.evaluated";

  /** A dataset as stored. */
  public record Dataset(DatasetManifest manifest, String ownerFingerprint, License license, long storedAtMillis) {
    public String id() {
      return manifest.getDatasetId();
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
  /**
   * True while the journal is replayed at boot: charges recorded in it are then added to the ledger. At run
   * time the ledger is charged (atomically, against the budget) before the entry is written, so applying the
   * entry must not charge again.
   */
  private boolean replaying = true;

  /** Ends the boot replay: from now on charges reach the ledger through {@link PrivacyLedger#charge}. */
  public synchronized void replayDone() {
    replaying = false;
  }

  /** Every dataset's budget and spending, rebuilt from the journal. */
  public PrivacyLedger ledger() {
    return ledger;
  }

  /** Applies one journal entry's payload. Unknown types (boot, later job events) are ignored here. */
  public synchronized void apply(String type, JsonNode p, long timeMillis) {
    switch (type) {
      case ENROLLED -> principals.put(p.path("fingerprint").asText(), Principal.newBuilder()
          .setFingerprint(p.path("fingerprint").asText()).setRole(Role.valueOf(p.path("role").asText()))
          .setName(p.path("name").asText()).setEnrolledAtMillis(timeMillis).build());
      case REVOKED -> {
        Principal old = principals.get(p.path("fingerprint").asText());
        if (old != null) {
          principals.put(old.getFingerprint(), old.toBuilder().setRevoked(true).build());
        }
      }
      case DATASET_STORED -> {
        DatasetManifest m = parse(p.path("manifest"), DatasetManifest.newBuilder());
        License l = parse(p.path("license"), License.newBuilder());
        datasets.put(m.getDatasetId(), new Dataset(m, p.path("owner").asText(), l, timeMillis));
        ledger.open(m.getDatasetId(), new PrivacyBudget(l.getEpsilon(), l.getDelta()));
      }
      case LICENSE_SET -> {
        Dataset d = datasets.get(p.path("datasetId").asText());
        if (d != null) {
          License l = parse(p.path("license"), License.newBuilder());
          datasets.put(d.id(), new Dataset(d.manifest(), d.ownerFingerprint(), l, d.storedAtMillis()));
          ledger.changeBudget(d.id(), new PrivacyBudget(l.getEpsilon(), l.getDelta()));
        }
      }
      case APPROVAL_REQUESTED -> {
        ApprovalRequest.Builder b = ApprovalRequest.newBuilder().setId(p.path("id").asText())
            .setKind(p.path("kind").asText()).setSubject(p.path("subject").asText())
            .setRequesterFingerprint(p.path("requester").asText())
            .setRequesterName(p.path("requesterName").asText()).setState(ApprovalState.PENDING)
            .setCreatedAtMillis(timeMillis);
        p.path("datasetIds").forEach(n -> b.addDatasetIds(n.asText()));
        p.path("pendingOwners").forEach(n -> b.addPendingOwners(n.asText()));
        approvals.put(b.getId(), b.build());
      }
      case APPROVAL_DECIDED -> {
        ApprovalRequest r = approvals.get(p.path("id").asText());
        if (r != null) {
          String owner = p.path("owner").asText();
          boolean approve = p.path("approve").asBoolean();
          List<String> pending = new ArrayList<>(r.getPendingOwnersList());
          pending.remove(owner);
          ApprovalRequest.Builder b = r.toBuilder().clearPendingOwners().addAllPendingOwners(pending)
              .addDecisions(ApprovalDecision.newBuilder().setOwnerFingerprint(owner)
                  .setOwnerName(p.path("ownerName").asText()).setApprove(approve)
                  .setReason(p.path("reason").asText()).setDecidedAtMillis(timeMillis));
          if (!approve) {
            b.setState(ApprovalState.DENIED);
          } else if (pending.isEmpty()) {
            b.setState(ApprovalState.APPROVED);
          }
          approvals.put(r.getId(), b.build());
        }
      }
      case JOB_SUBMITTED -> {
        JobSpec spec = parse(p.path("spec"), JobSpec.newBuilder());
        jobs.put(p.path("id").asText(), Job.newBuilder().setId(p.path("id").asText())
            .setScientistFingerprint(p.path("scientist").asText()).setScientistName(p.path("scientistName").asText())
            .setSpec(spec).setModelSha256(p.path("modelSha256").asText()).setState(JobState.QUEUED)
            .setTotalSteps(p.path("totalSteps").asLong()).setSampleRate(p.path("sampleRate").asDouble())
            .setNoiseMultiplier(p.path("noiseMultiplier").asDouble()).setSubmittedAtMillis(timeMillis).build());
      }
      case JOB_STARTED -> updateJob(p, j -> j.setState(JobState.RUNNING).setMessage(""));
      case PRIVACY_CHARGED -> {
        charged(p, p.path("steps").asLong());
        trainStepsCharged.merge(p.path("job").asText(), p.path("steps").asLong(), Long::sum);
      }
      case JOB_METRICS -> {
        charged(p, 1);
        DpMetrics m = DpMetrics.newBuilder().setStep(p.path("step").asLong()).setLoss(p.path("loss").asDouble())
            .setAccuracy(p.path("accuracy").asDouble()).build();
        updateJob(p, j -> j.setLastMetrics(m).addMetrics(m).setStep(Math.max(j.getStep(), m.getStep())));
      }
      case JOB_CANCEL_REQUESTED -> cancelRequests.put(p.path("job").asText(), p.path("by").asText());
      case JOB_CHECKPOINTED -> updateJob(p, j -> j.setStep(Math.max(j.getStep(), p.path("step").asLong())));
      case JOB_FINISHED -> updateJob(p, j -> j.setState(JobState.valueOf(p.path("state").asText()))
          .setMessage(p.path("message").asText()).setStep(Math.max(j.getStep(), p.path("step").asLong()))
          .setFinishedAtMillis(timeMillis));
      case JOB_EVALUATED -> charged(p, 1);
      default -> { }
    }
  }

  private void updateJob(JsonNode p, java.util.function.Consumer<Job.Builder> change) {
    Job j = jobs.get(p.path("job").asText());
    if (j != null) {
      Job.Builder b = j.toBuilder();
      change.accept(b);
      jobs.put(j.getId(), b.build());
    }
  }

  /** A charge written in the journal: added to the ledger only while replaying (see {@link #replaying}). */
  private void charged(JsonNode p, long steps) {
    if (!replaying) {
      return;
    }
    List<String> ids = new ArrayList<>();
    p.path("datasetIds").forEach(n -> ids.add(n.asText()));
    ledger.replay(ids, new Segment(p.path("sampleRate").asDouble(), p.path("noiseMultiplier").asDouble(), steps));
  }

  /** A protobuf value as it is written into journal payloads: its canonical JSON. */
  public static String json(Message m) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T parse(JsonNode node, Message.Builder builder) {
    try {
      JsonFormat.parser().merge(node.toString(), builder);
      return (T) builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a journal payload does not parse: " + e.getMessage(), e);
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
   * checkpoint never holds more steps than this unless the journal lost records (see {@code JobService}).
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
