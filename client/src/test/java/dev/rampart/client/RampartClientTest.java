package dev.rampart.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DpMetrics;
import dev.rampart.protocol.v1.FetchModelResponse;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's loops against fakes of the wire (end-to-end tests against a coordinator live elsewhere). */
class RampartClientTest {
  @TempDir Path dir;

  @Test
  void isTerminal_exactlyForTheFourStoppedStates() {
    EnumSet<JobState> terminal = EnumSet.noneOf(JobState.class);
    for (JobState s : JobState.values()) {
      if (s != JobState.UNRECOGNIZED && RampartClient.isTerminal(s)) {
        terminal.add(s);
      }
    }
    assertThat(terminal).containsExactlyInAnyOrder(JobState.COMPLETED, JobState.BUDGET_EXHAUSTED, JobState.CANCELLED,
        JobState.FAILED);
  }

  private static Job job(JobState state, long step) {
    return Job.newBuilder().setId("job-1").setState(state).setStep(step).setTotalSteps(10).build();
  }

  @Test
  void watch_reportsEachChangeOnce_andReturnsTheFinalJob() throws Exception {
    Deque<Job> answers = new ArrayDeque<>(List.of(job(JobState.QUEUED, 0), job(JobState.QUEUED, 0),
        job(JobState.RUNNING, 4), job(JobState.RUNNING, 4),
        job(JobState.RUNNING, 4).toBuilder().setLastMetrics(DpMetrics.newBuilder().setStep(4).setLoss(0.6)).build(),
        job(JobState.BUDGET_EXHAUSTED, 7), job(JobState.RUNNING, 99)));
    List<Job> seen = new ArrayList<>();
    Job last = RampartClient.watch(answers::poll, Duration.ofMillis(1), seen::add);
    assertThat(last.getState()).isEqualTo(JobState.BUDGET_EXHAUSTED);
    assertThat(seen).extracting(Job::getStep).containsExactly(0L, 4L, 4L, 7L);
    assertThat(answers).hasSize(1); // no poll after the terminal state
  }

  @Test
  void watch_ofAStoppedJob_reportsItOnceWithoutWaiting() throws Exception {
    List<Job> seen = new ArrayList<>();
    RampartClient.watch(() -> job(JobState.CANCELLED, 3), Duration.ofDays(1), seen::add);
    assertThat(seen).hasSize(1);
  }

  @Test
  void watch_letsRpcFailuresThrough_unchanged() {
    RpcException denied = new RpcException(GrpcStatus.PERMISSION_DENIED, "not your job");
    assertThatThrownBy(() -> RampartClient.watch(() -> {
      throw denied;
    }, Duration.ofMillis(1), j -> {})).isSameAs(denied);
  }

  @Test
  void watch_refusesANonPositiveInterval() {
    assertThatThrownBy(() -> RampartClient.watch(() -> job(JobState.RUNNING, 1), Duration.ZERO, j -> {}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] model() {
    byte[] m = new byte[3 * 1000 + 17];
    for (int i = 0; i < m.length; i++) {
      m[i] = (byte) (i * 31);
    }
    return m;
  }

  /** A coordinator that serves {@code model} in pieces of {@code piece} bytes, declaring {@code sha}. */
  private static RampartClient.ModelPieces serving(byte[] model, byte[] sha, int piece, List<Long> asked) {
    return offset -> {
      asked.add(offset);
      int from = (int) offset;
      int to = Math.min(model.length, from + piece);
      return FetchModelResponse.newBuilder().setReleased(true).setTotalBytes(model.length)
          .setModelSha256(ByteString.copyFrom(sha)).setModel(ByteString.copyFrom(model, from, to - from))
          .setLicense(License.newBuilder().addReleaseTo("alice")).build();
    };
  }

  @Test
  void fetchModel_asksForEachPieceAtItsOffset_andWritesTheVerifiedFile() throws Exception {
    byte[] m = model();
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(m);
    List<Long> asked = new ArrayList<>();
    Path out = dir.resolve("model.bin");
    FetchResult r = RampartClient.fetchModel(serving(m, sha, 1000, asked), out);
    assertThat(asked).containsExactly(0L, 1000L, 2000L, 3000L);
    assertThat(r.released()).isTrue();
    assertThat(r.file()).isEqualTo(out.toAbsolutePath());
    assertThat(r.bytes()).isEqualTo(m.length);
    assertThat(r.sha256()).isEqualTo(HexFormat.of().formatHex(sha));
    assertThat(r.license().getReleaseToList()).containsExactly("alice");
    assertThat(Files.readAllBytes(out)).isEqualTo(m);
  }

  @Test
  void fetchModel_withAWrongDigest_leavesNoFile() throws Exception {
    byte[] m = model();
    byte[] wrong = MessageDigest.getInstance("SHA-256").digest(new byte[1]);
    assertThatThrownBy(() -> RampartClient.fetchModel(serving(m, wrong, 1000, new ArrayList<>()),
        dir.resolve("model.bin"))).isInstanceOf(ModelIntegrityException.class);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void fetchModel_notReleased_returnsTheApproval_andWritesNothing() throws Exception {
    ApprovalRequest pending = ApprovalRequest.newBuilder().setId("req-9").setState(ApprovalState.PENDING)
        .addPendingOwners("ab".repeat(32)).addPendingOwnerNames("hospital-b").build();
    List<Long> asked = new ArrayList<>();
    FetchResult r = RampartClient.fetchModel(offset -> {
      asked.add(offset);
      return FetchModelResponse.newBuilder().setReleased(false).setApproval(pending).build();
    }, dir.resolve("model.bin"));
    assertThat(asked).containsExactly(0L);
    assertThat(r.released()).isFalse();
    assertThat(r.approval().getId()).isEqualTo("req-9");
    assertThat(r.pendingOwnerNames()).containsExactly("hospital-b");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void fetchModel_anRpcFailureMidway_isThrownAsIs_andLeavesNoFile() throws Exception {
    byte[] m = model();
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(m);
    RampartClient.ModelPieces good = serving(m, sha, 1000, new ArrayList<>());
    RpcException gone = new RpcException(GrpcStatus.UNAVAILABLE, "connection reset");
    assertThatThrownBy(() -> RampartClient.fetchModel(offset -> {
      if (offset >= 2000) {
        throw gone;
      }
      return good.at(offset);
    }, dir.resolve("model.bin"))).isSameAs(gone);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }
}
