package dev.rampart.coordinator.approvals;

import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.datasets.Datasets;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.jobs.Jobs;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/** Owners' approvals: a scientist asks (for a job's weights), every owner whose license needs it decides. */
public final class Approvals {
  private static final Logger LOG = Logger.getLogger(Approvals.class.getName());
  private final Recorder recorder;
  private final CoordinatorState state;
  private final Datasets datasets;

  public Approvals(Recorder recorder, Datasets datasets) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.datasets = datasets;
  }

  public ApprovalRequest requestApproval(Caller caller, RequestApprovalRequest r) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.SCIENTIST);
    if (!"weight-release".equals(r.getKind())) {
      throw ServiceException.invalid("kind must be 'weight-release'");
    }
    if (!r.getSubject().matches("[A-Za-z0-9._:-]{1,128}")) {
      throw ServiceException.invalid("subject (what is to be released, e.g. a job id) must be 1-128 of"
          + " A-Z a-z 0-9 . _ : -");
    }
    if (r.getDatasetIdsCount() == 0 || r.getDatasetIdsCount() > 64) {
      throw ServiceException.invalid("name 1-64 datasets");
    }
    var job = state.job(r.getSubject());
    // the subject is one of the caller's jobs, never free text: a scientist could otherwise journal any number of
    // requests about anything, and owners would be asked to approve what does not exist
    // a job's weights: only its scientist (another's job is as unknown as a job that does not exist), only once it
    // has ended (the approval covers the final model), and only for exactly its datasets
    if (job.isEmpty() || !job.get().getScientistFingerprint().equals(caller.fingerprint())) {
      throw ServiceException.notFound("no job " + r.getSubject() + " of yours: a weight-release approval names one"
          + " of your ended jobs (its id, as rampart jobs lists it)");
    }
    if (!Jobs.terminal(job.get().getState())) {
      throw ServiceException.precondition("job " + r.getSubject() + " has not ended; ask for its weights when it has");
    }
    if (!Set.copyOf(r.getDatasetIdsList()).equals(Set.copyOf(job.get().getSpec().getDatasetIdsList()))) {
      throw ServiceException.invalid("a release of job " + r.getSubject() + " names exactly the job's datasets");
    }
    List<Dataset> ds = new ArrayList<>();
    for (String id : new LinkedHashSet<>(r.getDatasetIdsList())) {
      Dataset d = state.dataset(id).filter(x -> datasets.visible(caller, x))
          .orElseThrow(() -> ServiceException.notFound("no dataset " + id + " visible to you"));
      ds.add(d);
    }
    License l = Licenses.intersect(ds.stream().map(Dataset::license).toList());
    String name = caller.principal().getName();
    if (l.getWeightRelease() == WeightRelease.NEVER) {
      throw ServiceException.denied("the licenses of these datasets forbid releasing weights");
    }
    if (!l.getReleaseToList().contains(name)) {
      throw ServiceException.denied("the licenses of these datasets do not release weights to '" + name + "'");
    }
    Set<String> pending = new LinkedHashSet<>();
    for (Dataset d : ds) {
      if (Licenses.weightRelease(d.license()) == WeightRelease.AFTER_OWNER_APPROVAL) {
        pending.add(d.ownerFingerprint());
      }
    }
    if (pending.isEmpty()) {
      throw ServiceException.precondition("no approval is needed: the licenses release weights to '" + name + "'");
    }
    // one pending request per job and scientist: asking again returns it (nothing new is journaled)
    for (ApprovalRequest a : state.approvals()) {
      if (a.getState() == ApprovalState.PENDING && a.getSubject().equals(r.getSubject())
          && a.getRequesterFingerprint().equals(caller.fingerprint())) {
        return withNames(a);
      }
    }
    String id = UUID.randomUUID().toString();
    Event.ApprovalRequested event = new Event.ApprovalRequested(id, r.getKind(), r.getSubject(), caller.fingerprint(),
        name, ds.stream().map(Dataset::id).toList(), List.copyOf(pending));
    List<String> subjects = new ArrayList<>(ds.stream().map(Dataset::id).toList());
    subjects.add(caller.fingerprint());
    subjects.addAll(pending);
    synchronized (recorder.lock()) {
      recorder.record(event, subjects);
    }
    LOG.info(caller.describe() + " requested approval " + id + " (" + r.getKind() + " of " + r.getSubject() + ")");
    return withNames(state.approval(id).orElseThrow());
  }

  public ListApprovalsResponse listApprovals(Caller caller, ListApprovalsRequest r) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    ListApprovalsResponse.Builder b = ListApprovalsResponse.newBuilder();
    for (ApprovalRequest a : state.approvals()) {
      if (involves(caller, a) && (!r.getPendingOnly() || a.getState() == ApprovalState.PENDING)) {
        b.addRequests(withNames(a));
      }
    }
    return b.build();
  }

  public ApprovalRequest decide(Caller caller, DecideApprovalRequest r) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.OWNER);
    if (r.getReason().length() > 512 || r.getReason().chars().anyMatch(ch -> ch < 0x20)) {
      throw ServiceException.invalid("a reason is at most 512 characters, without control characters");
    }
    synchronized (recorder.lock()) {
      ApprovalRequest a = state.approval(r.getId()).filter(x -> involves(caller, x))
          .orElseThrow(() -> ServiceException.notFound("no approval request " + r.getId() + " on your datasets"));
      if (a.getState() != ApprovalState.PENDING) {
        throw ServiceException.precondition("request " + a.getId() + " is already " + a.getState());
      }
      if (!a.getPendingOwnersList().contains(caller.fingerprint())) {
        throw ServiceException.precondition("you have already decided request " + a.getId());
      }
      Event.ApprovalDecided event = new Event.ApprovalDecided(a.getId(), caller.fingerprint(),
          caller.principal().getName(), r.getApprove(), r.getReason());
      List<String> subjects = new ArrayList<>(a.getDatasetIdsList());
      subjects.add(caller.fingerprint());
      subjects.add(a.getRequesterFingerprint());
      recorder.record(event, subjects);
      LOG.info(caller.describe() + (r.getApprove() ? " approved " : " denied ") + "request " + a.getId());
      return withNames(state.approval(a.getId()).orElseThrow());
    }
  }

  /** The request with the names of the owners still to decide (the state keeps fingerprints). */
  public ApprovalRequest withNames(ApprovalRequest a) {
    ApprovalRequest.Builder b = a.toBuilder().clearPendingOwnerNames();
    for (String fp : a.getPendingOwnersList()) {
      b.addPendingOwnerNames(state.principal(fp).map(Principal::getName).orElse(fp.substring(0, 16)));
    }
    return b.build();
  }

  private boolean involves(Caller caller, ApprovalRequest a) {
    Principal p = caller.principal();
    return switch (p.getRole()) {
      case ADMIN -> true;
      case SCIENTIST -> a.getRequesterFingerprint().equals(caller.fingerprint());
      case OWNER -> a.getDatasetIdsList().stream().anyMatch(id -> state.dataset(id)
          .map(d -> d.ownerFingerprint().equals(caller.fingerprint())).orElse(false));
      default -> false;
    };
  }
}
