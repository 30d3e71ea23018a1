package dev.rampart.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.ReleaseDecision.Denied;
import dev.rampart.coordinator.state.ReleaseDecision.Refused;
import dev.rampart.coordinator.state.ReleaseDecision.Release;
import dev.rampart.coordinator.state.ReleaseDecision.Waiting;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.WeightRelease;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every rule of weight release, on the pure decision (no coordinator, no files). */
class ReleaseDecisionTest {
  private static final String JOB = "job-1";
  private static final String ALICE = "fp-alice";

  private static Dataset dataset(String id, String owner, WeightRelease w, String... releaseTo) {
    License l = License.newBuilder().setEpsilon(3).setDelta(1e-5).setWeightRelease(w)
        .addAllReleaseTo(List.of(releaseTo)).build();
    return new Dataset(DatasetManifest.newBuilder().setDatasetId(id + "0123456789abcdef").setName(id).build(), owner, l,
        0);
  }

  private static ApprovalRequest request(String id, long at, List<Dataset> ds, String requester, ApprovalState state,
      List<String> pending, ApprovalDecision... decisions) {
    return ApprovalRequest.newBuilder().setId(id).setKind(ReleaseDecision.KIND).setSubject(JOB)
        .setRequesterFingerprint(requester).addAllDatasetIds(ds.stream().map(Dataset::id).toList())
        .addAllPendingOwners(pending).addAllDecisions(List.of(decisions)).setState(state).setCreatedAtMillis(at)
        .build();
  }

  private static ApprovalDecision approve(String owner, boolean yes) {
    return ApprovalDecision.newBuilder().setOwnerFingerprint(owner).setApprove(yes).build();
  }

  private static ReleaseDecision.Outcome decide(List<Dataset> ds, List<ApprovalRequest> approvals) {
    return ReleaseDecision.decide(JOB, ds, "alice", ALICE, approvals, 1_000);
  }

  @Test
  void neverAndUnnamedAndExpiredAreRefusedNamingTheTerm() {
    List<Dataset> never = List.of(dataset("hosp-a", "o1", WeightRelease.TO_NAMED, "alice"),
        dataset("hosp-b", "o2", WeightRelease.NEVER));
    assertThat(decide(never, List.of())).isEqualTo(new Refused(
        "the licenses of this job's datasets never release weights: 'hosp-b' (hosp-b012345…)"));
    assertThat(decide(List.of(dataset("hosp-a", "o1", WeightRelease.TO_NAMED, "bob")), List.of()))
        .isEqualTo(new Refused("the licenses of this job's datasets do not release weights to 'alice'"));
    Dataset expired = new Dataset(dataset("hosp-a", "o1", WeightRelease.TO_NAMED, "alice").manifest(), "o1",
        dataset("hosp-a", "o1", WeightRelease.TO_NAMED, "alice").license().toBuilder().setExpiresAtMillis(1_000)
            .build(), 0);
    assertThat(decide(List.of(expired), List.of())).isInstanceOf(Refused.class)
        .extracting(o -> ((Refused) o).reason()).asString().contains("expired");
  }

  @Test
  void toNamedReleasesWithoutApproval() {
    ReleaseDecision.Outcome o = decide(List.of(dataset("hosp-a", "o1", WeightRelease.TO_NAMED, "alice")), List.of());
    assertThat(o).isInstanceOf(Release.class);
    assertThat(((Release) o).approvalId()).isEmpty();
    assertThat(((Release) o).license().getWeightRelease()).isEqualTo(WeightRelease.TO_NAMED);
  }

  @Test
  void afterApprovalWaitsForEveryOwnerWhoseLicenseAsksAndOnlyThem() {
    List<Dataset> ds = List.of(dataset("hosp-a", "o1", WeightRelease.AFTER_OWNER_APPROVAL, "alice"),
        dataset("hosp-b", "o2", WeightRelease.TO_NAMED, "alice"),
        dataset("hosp-c", "o3", WeightRelease.AFTER_OWNER_APPROVAL, "alice"));
    assertThat(decide(ds, List.of())).isEqualTo(new Waiting(Set.of("o1", "o3"), java.util.Optional.empty()));
    ApprovalRequest half = request("r1", 10, ds, ALICE, ApprovalState.PENDING, List.of("o3"), approve("o1", true));
    assertThat(decide(ds, List.of(half))).isEqualTo(new Waiting(Set.of("o3"), java.util.Optional.of(half)));
    ApprovalRequest done = half.toBuilder().clearPendingOwners().addDecisions(approve("o3", true))
        .setState(ApprovalState.APPROVED).build();
    assertThat(decide(ds, List.of(done)))
        .isEqualTo(new Release(Licenses.intersect(ds.stream().map(Dataset::license).toList()), "r1"));
  }

  @Test
  void aDenialIsFinalAndOtherRequestsDoNotCount() {
    List<Dataset> ds = List.of(dataset("hosp-a", "o1", WeightRelease.AFTER_OWNER_APPROVAL, "alice"));
    ApprovalRequest denied = request("r1", 10, ds, ALICE, ApprovalState.DENIED, List.of(), approve("o1", false));
    ApprovalRequest later = request("r2", 20, ds, ALICE, ApprovalState.APPROVED, List.of(), approve("o1", true));
    assertThat(decide(ds, List.of(later, denied))).isEqualTo(new Denied(denied));
    // another scientist's approval, or one for another set of datasets, or another job, releases nothing
    ApprovalRequest bobs = request("r3", 30, ds, "fp-bob", ApprovalState.APPROVED, List.of(), approve("o1", true));
    List<Dataset> more = List.of(ds.get(0), dataset("hosp-b", "o2", WeightRelease.TO_NAMED, "alice"));
    ApprovalRequest otherSet = request("r4", 40, more, ALICE, ApprovalState.APPROVED, List.of(), approve("o1", true));
    ApprovalRequest otherJob = later.toBuilder().setId("r5").setSubject("job-2").build();
    assertThat(decide(ds, List.of(bobs, otherSet, otherJob))).isInstanceOf(Waiting.class);
    assertThat(decide(ds, List.of(bobs, later))).isEqualTo(new Release(
        Licenses.intersect(List.of(ds.get(0).license())), "r2"));
  }
}
