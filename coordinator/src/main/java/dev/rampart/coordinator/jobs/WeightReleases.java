package dev.rampart.coordinator.jobs;

import com.google.protobuf.ByteString;
import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.approvals.Approvals;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import static dev.rampart.coordinator.jobs.JobSupport.*;

/**
 * Weight release ({@code Jobs.FetchModel}): what the intersection of the job's licenses allows, the owners'
 * approvals where they require them, and the release journaled before any byte of the model leaves.
 */
public final class WeightReleases {
  private static final Logger LOG = Logger.getLogger(WeightReleases.class.getName());
  static final int FETCH_PIECE = 2 << 20;

  private final Recorder recorder;
  private final CoordinatorState state;
  private final Approvals approvals;
  private final JobFiles files;
  private final Clock clock;

  WeightReleases(Recorder recorder, Approvals approvals, JobFiles files, Clock clock) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.approvals = approvals;
    this.files = files;
    this.clock = clock;
  }

  public FetchModelResponse fetchModel(Caller caller, FetchModelRequest r) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.SCIENTIST);
    Job j = state.job(r.getJobId()).filter(x -> x.getScientistFingerprint().equals(caller.fingerprint()))
        .orElseThrow(() -> ServiceException.notFound("no job " + r.getJobId() + " of yours"));
    if (j.getState() == JobState.FAILED) {
      throw ServiceException.precondition("job " + j.getId() + " failed (" + j.getMessage() + "): it has no model");
    }
    if (!Jobs.terminal(j.getState())) {
      throw ServiceException.precondition("job " + j.getId() + " is " + j.getState() + "; fetch its model when it has"
          + " ended");
    }
    if (!Files.exists(files.modelFile(j.getId()))) {
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
            return out.setReleased(false).setApproval(approvals.withNames(a)).build();
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
        ApprovalRequest shown = waiting.isPresent() ? approvals.withNames(waiting.get())
            : approvals.requestApproval(caller, RequestApprovalRequest.newBuilder().setKind("weight-release")
                .setSubject(j.getId()).addAllDatasetIds(j.getSpec().getDatasetIdsList()).build());
        return out.setReleased(false).setApproval(shown).build();
      }
      approvalId = requests.isEmpty() ? "" : requests.get(requests.size() - 1).getId();
    }
    byte[] model = files.sealedModel(j.getId());
    if (r.getOffset() > model.length) {
      throw ServiceException.invalid("offset " + r.getOffset() + " is past the model's " + model.length + " bytes");
    }
    String sha = sha256Hex(model);
    String release = j.getId() + "|" + caller.fingerprint() + "|" + sha;
    if (r.getOffset() == 0 || !released.contains(release)) {
      // the release itself is journaled (and forced) before any byte of it leaves, whatever piece comes first
      recorder.record(new Event.ModelReleased(j.getId(), caller.fingerprint(), name, approvalId, sha, model.length),
          subjects(state, j));
      released.add(release);
      LOG.info("released the weights of job " + j.getId() + " to " + caller.describe());
    }
    int from = (int) r.getOffset();
    int to = Math.min(model.length, from + FETCH_PIECE);
    return out.setReleased(true).setModel(ByteString.copyFrom(model, from, to - from)).setTotalBytes(model.length)
        .setModelSha256(ByteString.copyFrom(HexFormat.of().parseHex(sha))).build();
  }

  /** Releases journaled in this run (job|scientist|sha): later pieces of a journaled release need no new entry. */
  private final Set<String> released = ConcurrentHashMap.newKeySet();


  private static String neverReleasing(List<Dataset> ds) {
    List<String> names = new ArrayList<>();
    for (Dataset d : ds) {
      if (Licenses.weightRelease(d.license()) == WeightRelease.NEVER) {
        names.add(label(d));
      }
    }
    return String.join(", ", names);
  }

}
