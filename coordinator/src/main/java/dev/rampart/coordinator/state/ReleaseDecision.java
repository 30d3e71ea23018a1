package dev.rampart.coordinator.state;

import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.WeightRelease;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a job's weights may go to a scientist, from the job's datasets (their licenses now, not at submission),
 * the approvals on record and the time: pure, so every rule of release is tested without a coordinator. The
 * caller acts on the outcome (refuses, shows or files an approval request, or journals the release and sends).
 */
public final class ReleaseDecision {
  /** The approval kind that governs weight release. */
  public static final String KIND = "weight-release";

  private ReleaseDecision() {}

  /** What the licenses and approvals say. */
  public sealed interface Outcome {}

  /** Not allowed, whatever anyone approves: the reason names the license term. */
  public record Refused(String reason) implements Outcome {}

  /** An owner denied this scientist's release of this job: final, no later request outvotes it. */
  public record Denied(ApprovalRequest request) implements Outcome {}

  /**
   * Waiting for owners' approval: {@code missing} owners (fingerprints) have not approved; {@code pending} is the
   * latest open request that asks all of them, if there is one (else the caller files a new one).
   */
  public record Waiting(Set<String> missing, Optional<ApprovalRequest> pending) implements Outcome {}

  /**
   * Released under {@code license} (the intersection); {@code approvalId} is the latest request whose approvals
   * allowed it, empty when the licenses need none.
   */
  public record Release(License license, String approvalId) implements Outcome {}

  /**
   * @param jobId the job whose weights are asked for
   * @param datasets the job's datasets as they are now, in the job's order
   * @param scientistName the asking scientist's principal name (licenses name principals)
   * @param scientistFingerprint whose approval requests count (only the asker's own)
   * @param approvals every approval request on record; only weight-release requests for exactly this job's
   *     datasets by this scientist count
   */
  public static Outcome decide(String jobId, List<Dataset> datasets, String scientistName, String scientistFingerprint,
      List<ApprovalRequest> approvals, long nowMillis) {
    License l = Licenses.intersect(datasets.stream().map(Dataset::license).toList());
    if (Licenses.expired(l, nowMillis)) {
      return new Refused("a license of this job's datasets has expired: the weights stay inside");
    }
    if (l.getWeightRelease() == WeightRelease.NEVER) {
      return new Refused("the licenses of this job's datasets never release weights: " + neverReleasing(datasets));
    }
    if (!l.getReleaseToList().contains(scientistName)) {
      return new Refused("the licenses of this job's datasets do not release weights to '" + scientistName + "'");
    }
    if (l.getWeightRelease() != WeightRelease.AFTER_OWNER_APPROVAL) {
      return new Release(l, "");
    }
    // who must approve now, from the current licenses
    Set<String> required = new LinkedHashSet<>();
    for (Dataset d : datasets) {
      if (Licenses.weightRelease(d.license()) == WeightRelease.AFTER_OWNER_APPROVAL) {
        required.add(d.ownerFingerprint());
      }
    }
    Set<String> jobDatasets = Set.copyOf(datasets.stream().map(Dataset::id).toList());
    List<ApprovalRequest> requests = approvals.stream()
        .filter(a -> a.getKind().equals(KIND) && a.getSubject().equals(jobId)
            && a.getRequesterFingerprint().equals(scientistFingerprint)
            && Set.copyOf(a.getDatasetIdsList()).equals(jobDatasets))
        .sorted(Comparator.comparingLong(ApprovalRequest::getCreatedAtMillis)).toList();
    Set<String> approvedBy = new LinkedHashSet<>();
    for (ApprovalRequest a : requests) {
      for (ApprovalDecision d : a.getDecisionsList()) {
        if (!d.getApprove()) {
          return new Denied(a);
        }
        approvedBy.add(d.getOwnerFingerprint());
      }
    }
    if (!approvedBy.containsAll(required)) {
      Set<String> missing = new LinkedHashSet<>(required);
      missing.removeAll(approvedBy);
      Optional<ApprovalRequest> pending = requests.stream()
          .filter(a -> a.getState() == ApprovalState.PENDING && a.getPendingOwnersList().containsAll(missing))
          .reduce((first, second) -> second);
      return new Waiting(Set.copyOf(missing), pending);
    }
    return new Release(l, requests.isEmpty() ? "" : requests.get(requests.size() - 1).getId());
  }

  private static String neverReleasing(List<Dataset> datasets) {
    List<String> names = new ArrayList<>();
    for (Dataset d : datasets) {
      if (Licenses.weightRelease(d.license()) == WeightRelease.NEVER) {
        names.add(d.label());
      }
    }
    return String.join(", ", names);
  }
}
