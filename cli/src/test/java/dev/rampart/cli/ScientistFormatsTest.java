package dev.rampart.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.client.FetchResult;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetSpend;
import dev.rampart.protocol.v1.DpMetrics;
import dev.rampart.protocol.v1.EvaluateResponse;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.WeightRelease;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the scientist's commands print, from messages as the coordinator sends them. */
class ScientistFormatsTest {
  private static DatasetSpend spend(String name, double eps) {
    return DatasetSpend.newBuilder().setDatasetId(name.equals("") ? "ab".repeat(32) : "00".repeat(32)).setName(name)
        .setEpsilon(eps).setDelta(1e-5).setBudgetEpsilon(3).build();
  }

  private static Job running() {
    return Job.newBuilder().setId("job-12345678").setState(JobState.RUNNING).setStep(420).setTotalSteps(1000)
        .setLastMetrics(DpMetrics.newBuilder().setStep(400).setLoss(0.6123).setAccuracy(0.7871))
        .addSpent(spend("hospital-a", 1.4249)).addSpent(spend("hospital-b", 1.42)).build();
  }

  @Test
  void watchMessage_showsLossAccuracyAndEpsilonPerDataset() {
    assertThat(JobWatcher.extraMessage(running()))
        .isEqualTo("loss 0.61 acc 0.79 | ε hospital-a 1.42/3 hospital-b 1.42/3");
  }

  @Test
  void watchMessage_beforeAnyMetric_showsTheState() {
    Job queued = Job.newBuilder().setId("j").setState(JobState.QUEUED).addSpent(spend("", 0)).build();
    assertThat(JobWatcher.extraMessage(queued)).isEqualTo("queued | ε abababababababab… 0/3");
  }

  @Test
  void summary_hasStateStepsAndMessage() {
    Job done = running().toBuilder().setState(JobState.BUDGET_EXHAUSTED).setStep(990)
        .setMessage("the next step would overrun hospital-a's budget").build();
    assertThat(JobWatcher.summary(done)).isEqualTo("job job-12345678 budget-exhausted after 990/1000 steps (loss 0.61"
        + " acc 0.79, ε hospital-a 1.42/3 hospital-b 1.42/3): the next step would overrun hospital-a's budget");
  }

  @Test
  void withoutATerminal_eachChangeIsOneLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JobWatcher w = new JobWatcher(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    Job queued = Job.newBuilder().setId("job-12345678").setState(JobState.QUEUED).setTotalSteps(1000).build();
    w.update(queued);
    w.update(queued.toBuilder().setSubmittedAtMillis(1).build()); // nothing shown changed
    w.update(running());
    w.close();
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "job job-1234 step 0/1000 | queued",
        "job job-1234 step 420/1000 | loss 0.61 acc 0.79 | ε hospital-a 1.42/3 hospital-b 1.42/3");
  }

  @Test
  void onATerminal_aBarFollowsTheJob_fromUnknownTotalToTheLastStep() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JobWatcher w = new JobWatcher(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    w.update(Job.newBuilder().setId("job-12345678").setState(JobState.QUEUED).build());
    w.update(running());
    w.close();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("job job-1234").contains("420/1000");
  }

  @Test
  void exitCodes_zeroOnlyForJobsThatTrained() {
    assertThat(JobWatcher.exitCode(JobState.COMPLETED)).isZero();
    assertThat(JobWatcher.exitCode(JobState.BUDGET_EXHAUSTED)).isZero();
    assertThat(JobWatcher.exitCode(JobState.CANCELLED)).isEqualTo(1);
    assertThat(JobWatcher.exitCode(JobState.FAILED)).isEqualTo(1);
  }

  @Test
  void evaluateLine_matchesTheDocumentedFormat() {
    EvaluateResponse r = EvaluateResponse.newBuilder().setAccuracy(0.81234).setNoiseStddev(0.00118)
        .setEpsilonCharged(0.1).setSpent(spend("hospital-a", 2.3111)).build();
    assertThat(EvaluateCommand.line("job-1", "00".repeat(32), r)).isEqualTo("DP accuracy of job job-1 on hospital-a:"
        + " 0.8123 ± 0.0012 (1 s.d.; charged ε=0.1, dataset has spent 2.31 of 3)");
  }

  @Test
  void notReleased_pending_namesTheOwnersAndTheRequest() {
    ApprovalRequest a = ApprovalRequest.newBuilder().setId("req-7").setState(ApprovalState.PENDING)
        .addPendingOwners("f1").addPendingOwners("f2").addPendingOwnerNames("hospital-a")
        .addPendingOwnerNames("hospital-b").build();
    assertThat(ModelCommand.Fetch.notReleased("job-1", FetchResult.notReleased(a, License.getDefaultInstance())))
        .isEqualTo("weights of job job-1 need approval: pending from hospital-a, hospital-b (request req-7)");
  }

  @Test
  void notReleased_denied_givesWhoAndWhy() {
    ApprovalRequest a = ApprovalRequest.newBuilder().setId("req-7").setState(ApprovalState.DENIED)
        .addDecisions(ApprovalDecision.newBuilder().setOwnerName("hospital-b").setReason("not before the audit"))
        .build();
    assertThat(ModelCommand.Fetch.notReleased("job-1", FetchResult.notReleased(a, License.getDefaultInstance())))
        .isEqualTo("weights of job job-1 were denied release by hospital-b (\"not before the audit\") (request req-7)");
  }

  @Test
  void notReleased_withoutApproval_namesTheLicense() {
    License l = License.newBuilder().setWeightRelease(WeightRelease.NEVER).build();
    assertThat(ModelCommand.Fetch.notReleased("job-1", FetchResult.notReleased(null, l)))
        .isEqualTo("weights of job job-1 are not released to you (weight release: never)");
  }

  @Test
  void numbers_areCompactWhereTheyCanBe() {
    assertThat(Formats.compact(3.0, 2)).isEqualTo("3");
    assertThat(Formats.compact(1.4249, 2)).isEqualTo("1.42");
    assertThat(Formats.compact(0.0, 2)).isEqualTo("0");
    assertThat(Formats.compact(Double.POSITIVE_INFINITY, 2)).isEqualTo("Infinity");
    assertThat(Formats.significant(256.0 / 60000)).isEqualTo("0.004267");
    assertThat(Formats.shortId("ab".repeat(32))).isEqualTo("abababababababab…");
    assertThat(Formats.time(0)).isEqualTo("-");
    assertThat(Formats.time(1_795_000_000_123L)).isEqualTo("2026-11-18T11:06:40Z");
  }

  @Test
  void table_alignsColumns() {
    StringWriter s = new StringWriter();
    new Formats.Table("ID", "ROWS", "NAME").rightAligned(1).row("a", 5, "x").row("bbb", 12345, "yy")
        .print(new PrintWriter(s));
    assertThat(s.toString().lines()).containsExactly("ID    ROWS  NAME", "a        5  x", "bbb  12345  yy");
  }
}
