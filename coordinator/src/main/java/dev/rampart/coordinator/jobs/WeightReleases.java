package dev.rampart.coordinator.jobs;

import com.google.protobuf.ByteString;
import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.approvals.Approvals;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.ReleaseDecision;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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
    String name = caller.principal().getName();
    FetchModelResponse.Builder out = FetchModelResponse.newBuilder();
    ReleaseDecision.Outcome decision = ReleaseDecision.decide(j.getId(), ds, name, caller.fingerprint(),
        state.approvals(), clock.millis());
    if (decision instanceof ReleaseDecision.Refused refused) {
      throw ServiceException.denied(refused.reason());
    }
    if (decision instanceof ReleaseDecision.Denied denied) {
      return out.setLicense(intersection(ds)).setReleased(false).setApproval(approvals.withNames(denied.request()))
          .build();
    }
    if (decision instanceof ReleaseDecision.Waiting waiting) {
      ApprovalRequest shown = waiting.pending().isPresent() ? approvals.withNames(waiting.pending().get())
          : approvals.requestApproval(caller, RequestApprovalRequest.newBuilder().setKind(ReleaseDecision.KIND)
              .setSubject(j.getId()).addAllDatasetIds(j.getSpec().getDatasetIdsList()).build());
      return out.setLicense(intersection(ds)).setReleased(false).setApproval(shown).build();
    }
    ReleaseDecision.Release allowed = (ReleaseDecision.Release) decision;
    out.setLicense(allowed.license());
    String approvalId = allowed.approvalId();
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

  private static License intersection(List<Dataset> ds) {
    return dev.rampart.coordinator.state.Licenses.intersect(ds.stream().map(Dataset::license).toList());
  }
}
