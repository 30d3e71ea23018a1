package dev.rampart.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.License;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FetchResultTest {
  private static final License LICENSE = License.newBuilder().addReleaseTo("alice").build();

  @Test
  void pending_namesTheOwnersWhoHaveNotDecided() {
    ApprovalRequest a = ApprovalRequest.newBuilder().setId("req-1").setState(ApprovalState.PENDING)
        .addPendingOwners("f1".repeat(32)).addPendingOwners("f2".repeat(32))
        .addPendingOwnerNames("hospital-a").addPendingOwnerNames("hospital-b").build();
    FetchResult r = FetchResult.notReleased(a, LICENSE);
    assertThat(r.released()).isFalse();
    assertThat(r.file()).isNull();
    assertThat(r.pendingOwnerNames()).containsExactly("hospital-a", "hospital-b");
    assertThat(r.denied()).isFalse();
  }

  @Test
  void pending_withoutNames_fallsBackToFingerprints() {
    ApprovalRequest a = ApprovalRequest.newBuilder().setState(ApprovalState.PENDING).addPendingOwners("ab12").build();
    assertThat(FetchResult.notReleased(a, LICENSE).pendingOwnerNames()).containsExactly("ab12");
  }

  @Test
  void denied_reportsTheDenialsAndNoPendingOwners() {
    ApprovalRequest a = ApprovalRequest.newBuilder().setState(ApprovalState.DENIED).addPendingOwnerNames("hospital-b")
        .addDecisions(ApprovalDecision.newBuilder().setOwnerName("hospital-a").setApprove(true))
        .addDecisions(ApprovalDecision.newBuilder().setOwnerName("hospital-b").setApprove(false).setReason("too early"))
        .build();
    FetchResult r = FetchResult.notReleased(a, LICENSE);
    assertThat(r.denied()).isTrue();
    assertThat(r.pendingOwnerNames()).isEmpty();
    assertThat(r.denials()).singleElement().satisfies(d -> {
      assertThat(d.getOwnerName()).isEqualTo("hospital-b");
      assertThat(d.getReason()).isEqualTo("too early");
    });
  }

  @Test
  void released_hasAFileAndNothingPending() {
    FetchResult r = FetchResult.released(Path.of("model.bin"), 10, "00".repeat(32), LICENSE);
    assertThat(r.released()).isTrue();
    assertThat(r.approval()).isNull();
    assertThat(r.pendingOwnerNames()).isEmpty();
    assertThat(r.denials()).isEmpty();
    assertThat(r.license()).isEqualTo(LICENSE);
  }

  @Test
  void inconsistentResults_cannotBeMade() {
    assertThatThrownBy(() -> new FetchResult(false, Path.of("x"), 0, null, null, LICENSE))
        .isInstanceOf(IllegalArgumentException.class);
    ApprovalRequest some = ApprovalRequest.getDefaultInstance();
    assertThatThrownBy(() -> new FetchResult(true, Path.of("x"), 1, "00", some, LICENSE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FetchResult(true, null, 1, "00", null, LICENSE))
        .isInstanceOf(NullPointerException.class);
  }
}
