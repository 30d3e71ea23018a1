package dev.rampart.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import dev.rampart.accountant.RdpAccountant;
import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.coordinator.CoordinatorProcess;
import dev.rampart.journal.JournalEntry;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.RpcMethod;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.DatasetInfo;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.DatasetSpend;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.EvaluateRequest;
import dev.rampart.protocol.v1.EvaluateResponse;
import dev.rampart.protocol.v1.FetchModelRequest;
import dev.rampart.protocol.v1.FetchModelResponse;
import dev.rampart.protocol.v1.GetJobRequest;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Role;
import dev.rampart.protocol.v1.SubmitJobRequest;
import dev.rampart.protocol.v1.WeightRelease;
import dev.rampart.trainer.ModelFile;
import dev.rampart.trainer.Models;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Training jobs end to end over real sockets on a small subset of Fashion-MNIST: license checks, release only
 * after every approval, budget stops (also with two jobs racing on one dataset), and kill -9 of the coordinator
 * process during a job.
 */
class JobsEndToEndTest {
  private static final double DELTA = 1e-5;
  @TempDir Path dir;

  static String mlpJson(int classes) {
    return Models.mlp(784, 32, classes, new Sgd(0.5), 7).getLayerWiseConfigurations().toJson();
  }

  static License license(double epsilon, List<String> listers, List<String> trainers, List<String> evaluators) {
    return License.newBuilder().addAllListers(listers).addAllTrainers(trainers).addAllEvaluators(evaluators)
        .setDpRequired(true).setEpsilon(epsilon).setDelta(DELTA).setWeightRelease(WeightRelease.AFTER_OWNER_APPROVAL)
        .addReleaseTo("alice").build();
  }

  /** Uploads rows [from, to) of Fashion-MNIST's test file as one owner's dataset. */
  static String upload(AttestedChannel.Target target, KeyIdentity owner, String name, long from, long to,
      License license) throws Exception {
    try (PartyAgent agent = new PartyAgent(target, owner, Clock.systemUTC(), Duration.ofSeconds(30))) {
      List<Uploader.Result> r = agent.publish(DataPlaneTest.config(DataPlaneTest.fashion(name, from, to, license)),
          Uploader.Progress.NONE);
      return r.get(0).dataset().getManifest().getDatasetId();
    }
  }

  static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message> R call(
      AttestedChannel.Target target, KeyIdentity who, RpcMethod<Q, R> method, Q request) throws Exception {
    try (AttestedChannel c = AttestedChannel.open(null, target, who, Clock.systemUTC(), Duration.ofSeconds(30))) {
      return c.call(method, request);
    }
  }

  /** The job once it has ended (the coordinator's own event, no polling), as its scientist sees it. */
  static Job finished(Fixture f, KeyIdentity who, String jobId) throws Exception {
    f.coordinator.jobs().whenFinished(jobId).get(2, TimeUnit.MINUTES);
    return call(f.target(f.coordinator.port()), who, Api.GET_JOB, GetJobRequest.newBuilder().setJobId(jobId).build());
  }

  static double spent(Job j, String datasetId) {
    return j.getSpentList().stream().filter(s -> s.getDatasetId().equals(datasetId)).mapToDouble(DatasetSpend::getEpsilon)
        .findFirst().orElseThrow();
  }

  @Test
  void outsidersAreRefused_weightsLeaveOnlyAfterEveryApproval_andEvaluationIsCharged() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity b = f.enrol("hospital-b", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      KeyIdentity mallory = f.enrol("mallory", Role.SCIENTIST);
      AttestedChannel.Target t = f.target(f.coordinator.port());
      String idA = upload(t, a, "part-a", 0, 1000,
          license(3, List.of("alice", "mallory"), List.of("alice"), List.of()));
      String idB = upload(t, b, "part-b", 1000, 2000,
          license(3, List.of("alice", "mallory"), List.of("alice"), List.of("alice")));
      JobSpec spec = JobSpec.newBuilder().setModelJson(mlpJson(10)).addDatasetIds(idA).addDatasetIds(idB)
          .setSteps(30).setBatchSize(64).setNoiseMultiplier(1.0).setCheckpointEvery(10).setMetricsEvery(10).build();

      // a scientist the licenses list but do not let train
      assertThatThrownBy(() -> call(t, mallory, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build()))
          .isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED);
            assertThat(e.getMessage()).contains("does not let 'mallory' train");
          });
      // a model that does not fit the data is refused at submission
      assertThatThrownBy(() -> call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder()
          .setSpec(spec.toBuilder().setModelJson(mlpJson(5))).build()))
          .isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("5 outputs").contains("10 classes");
          });

      Job submitted = call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build());
      assertThat(submitted.getTotalSteps()).isEqualTo(30);
      assertThat(submitted.getSampleRate()).isEqualTo(64 / 2000.0);
      Job done = finished(f, alice, submitted.getId());
      assertThat(done.getState()).as(done.getMessage()).isEqualTo(JobState.COMPLETED);
      assertThat(done.getStep()).isEqualTo(30);
      assertThat(done.getMetricsList()).extracting(m -> m.getStep()).containsExactly(10L, 20L, 30L);
      // 30 training steps and 3 metric releases, each at (q, σ), charged to both datasets
      double expected = RdpAccountant.defaults().epsilon(64 / 2000.0, 1.0, 33, DELTA).epsilon();
      assertThat(spent(done, idA)).isCloseTo(expected, within(1e-9));
      assertThat(spent(done, idB)).isCloseTo(expected, within(1e-9));

      FetchModelRequest fetch = FetchModelRequest.newBuilder().setJobId(done.getId()).build();
      assertThatThrownBy(() -> call(t, mallory, Api.FETCH_MODEL, fetch))
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      FetchModelResponse pending = call(t, alice, Api.FETCH_MODEL, fetch);
      assertThat(pending.getReleased()).isFalse();
      assertThat(pending.getModel().isEmpty()).isTrue();
      assertThat(pending.getApproval().getPendingOwnerNamesList()).containsExactlyInAnyOrder("hospital-a", "hospital-b");

      try (PartyAgent agentA = f.agent(a); PartyAgent agentB = f.agent(b)) {
        ApprovalRequest forA = agentA.approvals(true).get(0);
        assertThat(forA.getSubject()).isEqualTo(done.getId());
        agentA.decide(forA.getId(), true, "fine");
        FetchModelResponse stillPending = call(t, alice, Api.FETCH_MODEL, fetch);
        assertThat(stillPending.getReleased()).isFalse();
        assertThat(stillPending.getApproval().getPendingOwnerNamesList()).containsExactly("hospital-b");
        agentB.decide(agentB.approvals(true).get(0).getId(), true, "fine");
      }
      FetchModelResponse released = call(t, alice, Api.FETCH_MODEL, fetch);
      assertThat(released.getReleased()).isTrue();
      assertThat(released.getTotalBytes()).isEqualTo(released.getModel().size());
      byte[] model = released.getModel().toByteArray();
      assertThat(MessageDigest.getInstance("SHA-256").digest(model)).isEqualTo(released.getModelSha256().toByteArray());
      MultiLayerNetwork net = ModelFile.read(model);
      assertThat(net.numParams()).isEqualTo(784 * 32 + 32 + 32 * 10 + 10);

      // the release is in the journal, after both decisions
      List<String> types = f.coordinator.journal().entries().stream().map(JournalEntry::type).toList();
      assertThat(types).contains("job.submitted", "job.started", "privacy.charged", "job.metrics",
          "job.checkpointed", "job.finished", "model.released");
      assertThat(types.lastIndexOf("approval.decided")).isLessThan(types.indexOf("model.released"));

      // evaluation: only where the license names alice an evaluator, and charged before it is answered
      EvaluateRequest onA = EvaluateRequest.newBuilder().setJobId(done.getId()).setDatasetId(idA).setEpsilon(0.2).build();
      assertThatThrownBy(() -> call(t, alice, Api.EVALUATE, onA)) // A's license names no evaluator
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
      EvaluateRequest onB = onA.toBuilder().setDatasetId(idB).build();
      // B's license allows it, but the model also carries A's license, which does not (yet)
      assertThatThrownBy(() -> call(t, alice, Api.EVALUATE, onB))
          .isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED);
            assertThat(e.getMessage()).contains("which trained this model");
          });
      call(t, a, Api.SET_LICENSE, dev.rampart.protocol.v1.SetLicenseRequest.newBuilder().setDatasetId(idA)
          .setLicense(license(3, List.of("alice", "mallory"), List.of("alice"), List.of("mallory"))).build());
      // A's license now names only mallory as an evaluator: still refused, and for that reason
      assertThatThrownBy(() -> call(t, alice, Api.EVALUATE, onB))
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
      call(t, a, Api.SET_LICENSE, dev.rampart.protocol.v1.SetLicenseRequest.newBuilder().setDatasetId(idA)
          .setLicense(license(3, List.of("alice", "mallory"), List.of("alice"), List.of("alice"))).build());
      EvaluateResponse ev = call(t, alice, Api.EVALUATE, onB);
      assertThat(ev.getEpsilonCharged()).isEqualTo(0.2);
      assertThat(ev.getSpent().getEpsilon()).isGreaterThan(expected);
      assertThat(ev.getNoiseStddev()).isGreaterThan(0).isLessThan(0.05);
      // the DP answer is the exact accuracy of the released model on part-b plus noise of the stated spread
      java.io.ByteArrayOutputStream partB = new java.io.ByteArrayOutputStream();
      dev.rampart.datasets.IdxSource.open(Fixture.FASHION.resolve("t10k-images-idx3-ubyte.gz"),
          Fixture.FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10).rows(1000, 2000).writeCanonical(partB);
      double exact = dev.rampart.trainer.DpSgdTrainer.accuracy(net, dev.rampart.trainer.LabeledExamples.readCanonical(
          List.of(new java.io.ByteArrayInputStream(partB.toByteArray()))));
      assertThat(ev.getAccuracy()).isCloseTo(exact, within(6 * ev.getNoiseStddev()));
      Job after = call(t, alice, Api.GET_JOB, GetJobRequest.newBuilder().setJobId(done.getId()).build());
      assertThat(spent(after, idA)).isCloseTo(expected, within(1e-9));
      assertThat(spent(after, idB)).isGreaterThan(expected);

      // a restart rebuilds the same ledger from the journal
      f.restart();
      Job replayed = call(f.target(f.coordinator.port()), alice, Api.GET_JOB,
          GetJobRequest.newBuilder().setJobId(done.getId()).build());
      assertThat(spent(replayed, idA)).isEqualTo(spent(after, idA));
      assertThat(spent(replayed, idB)).isEqualTo(spent(after, idB));
    }
  }

  @Test
  void approvalsCoverExactlyTheJob_aDenialIsFinal_everyReleaseIsJournaled_andCancelIsDurable() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity b = f.enrol("hospital-b", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      AttestedChannel.Target t = f.target(f.coordinator.port());
      List<String> alone = List.of("alice");
      String idA = upload(t, a, "part-a", 0, 1000, license(3, alone, alone, List.of()));
      String idB = upload(t, b, "part-b", 1000, 2000, license(3, alone, alone, List.of()));
      String idC = upload(t, b, "part-c", 2000, 3000, license(3, alone, alone, List.of()).toBuilder()
          .setWeightRelease(WeightRelease.TO_NAMED).build());
      JobSpec spec = JobSpec.newBuilder().setModelJson(mlpJson(10)).addDatasetIds(idA).addDatasetIds(idB)
          .setSteps(10).setBatchSize(64).setNoiseMultiplier(1.0).build();
      Job done = finished(f, alice, call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build())
          .getId());
      assertThat(done.getState()).isEqualTo(JobState.COMPLETED);

      // a request naming fewer datasets than the job's (so that a friendlier owner alone decides) is refused
      assertThatThrownBy(() -> call(t, alice, Api.REQUEST_APPROVAL, dev.rampart.protocol.v1.RequestApprovalRequest
          .newBuilder().setKind("weight-release").setSubject(done.getId()).addDatasetIds(idB).build()))
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
      FetchModelRequest fetch = FetchModelRequest.newBuilder().setJobId(done.getId()).build();
      assertThat(call(t, alice, Api.FETCH_MODEL, fetch).getReleased()).isFalse();
      try (PartyAgent agentA = f.agent(a); PartyAgent agentB = f.agent(b)) {
        agentB.decide(agentB.approvals(true).get(0).getId(), true, "fine");
        agentA.decide(agentA.approvals(true).get(0).getId(), false, "not this model");
      }
      // denied, and asking again neither releases nor queues a new request that could outvote the denial
      for (int i = 0; i < 2; i++) {
        FetchModelResponse denied = call(t, alice, Api.FETCH_MODEL, fetch);
        assertThat(denied.getReleased()).isFalse();
        assertThat(denied.getApproval().getState()).isEqualTo(dev.rampart.protocol.v1.ApprovalState.DENIED);
      }
      assertThat(f.coordinator.journal().entries().stream().filter(e -> e.type().equals("approval.requested")))
          .hasSize(1);

      // TO_NAMED: released at once; a download that starts past offset 0 is journaled all the same
      Job named = finished(f, alice, call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec
          .toBuilder().clearDatasetIds().addDatasetIds(idC)).build()).getId());
      FetchModelResponse piece = call(t, alice, Api.FETCH_MODEL, FetchModelRequest.newBuilder()
          .setJobId(named.getId()).setOffset(1).build());
      assertThat(piece.getReleased()).isTrue();
      assertThat(piece.getModel().size()).isEqualTo(piece.getTotalBytes() - 1);
      assertThat(f.coordinator.journal().entries().stream().filter(e -> e.type().equals("model.released"))
          .map(e -> e.payloadJson().path("job").asText())).containsExactly(named.getId());

      // a cancel is journaled: it holds across a restart even if the job thread never saw it. The job has a
      // dataset of its own whose budget fits every one of its steps and metrics, so that nothing but the cancel
      // can end it early, however fast the machine
      double longBudget = 10, longSigma = 20;
      String idD = upload(t, b, "part-d", 3000, 4000, license(longBudget, alone, alone, List.of()));
      assertThat(RdpAccountant.defaults().maxSteps(64 / 1000.0, longSigma, longBudget, DELTA))
          .isGreaterThan(200_000 + 200_000 / 10_000);
      Job longJob = call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec.toBuilder()
          .clearDatasetIds().addDatasetIds(idD).setSteps(200_000).setNoiseMultiplier(longSigma)
          .setMetricsEvery(10_000).setCheckpointEvery(100)).build());
      call(t, alice, Api.CANCEL_JOB, dev.rampart.protocol.v1.CancelJobRequest.newBuilder().setJobId(longJob.getId())
          .build());
      f.restart();
      Job cancelled = finished(f, alice, longJob.getId());
      assertThat(cancelled.getState()).isEqualTo(JobState.CANCELLED);
      assertThat(cancelled.getMessage()).contains("cancelled by alice");
      assertThat(cancelled.getStep()).isLessThan(200_000);
    }
  }

  @Test
  void jobsStopAtTheBudget_andTwoJobsOnOneDatasetNeverJointlyOverrunIt() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      f.coordinator.close();
      f.coordinator = Coordinator.start(CoordinatorConfig.builder(f.state, f.measurement).listen("127.0.0.1", 0)
          .jobThreads(2).build());
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      AttestedChannel.Target t = f.target(f.coordinator.port());
      double budget = 2.0, sigma = 4.0;
      String id = upload(t, a, "small-budget", 0, 1000, license(budget, List.of("alice"), List.of("alice"), List.of()));
      JobSpec spec = JobSpec.newBuilder().setModelJson(mlpJson(10)).addDatasetIds(id).setSteps(20_000)
          .setBatchSize(64).setNoiseMultiplier(sigma).setCheckpointEvery(5).setMetricsEvery(20).build();
      // the budget fits hundreds of steps, and both go over one channel, so the second submission comes long before
      // the first job could have spent it all (the submission would be refused then), however fast the machine
      Job first;
      Job second;
      try (AttestedChannel c = AttestedChannel.open(null, t, alice, Clock.systemUTC(), Duration.ofSeconds(30))) {
        first = c.call(Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build());
        second = c.call(Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build());
      }
      Job one = finished(f, alice, first.getId());
      Job two = finished(f, alice, second.getId());
      assertThat(one.getState()).as(one.getMessage()).isEqualTo(JobState.BUDGET_EXHAUSTED);
      assertThat(two.getState()).as(two.getMessage()).isEqualTo(JobState.BUDGET_EXHAUSTED);
      assertThat(one.getMessage()).contains("would overrun the privacy budget").contains("small-budget");

      RdpAccountant acc = RdpAccountant.defaults();
      double q = 64 / 1000.0;
      long fits = acc.maxSteps(q, sigma, budget, DELTA);
      assertThat(fits).isGreaterThan(500);
      double spent = spent(call(t, alice, Api.GET_JOB, GetJobRequest.newBuilder().setJobId(first.getId()).build()), id);
      assertThat(spent).isLessThanOrEqualTo(budget);
      // together they used the whole budget: not one more step fits
      assertThat(spent).isCloseTo(acc.epsilon(q, sigma, fits, DELTA).epsilon(), within(1e-9));
      assertThat(one.getStep() + two.getStep()).isLessThanOrEqualTo(fits).isGreaterThan(fits / 2);

      // and nothing more is accepted on it
      assertThatThrownBy(() -> call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build()))
          .isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
            assertThat(e.getMessage()).contains("not one step");
          });
    }
  }

  // ---- kill -9 during a job ----

  @Test
  void killDashNineDuringAJob_resumesFromItsCheckpoint_andNeverUnderCountsEpsilon() throws Exception {
    Path state = dir.resolve("state");
    byte[] measurement = Fixture.sha384("job crash test coordinator");
    KeyIdentity admin = KeyIdentity.generate("admin");
    admin.save(dir.resolve("admin"));
    Path adminCert = dir.resolve("admin/cert.pem");
    long total = 3000;
    int metricsEvery = 100;
    double sigma = 1.2;
    double q = 64 / 2000.0;
    long killedAt;
    String jobId;
    String datasetId;
    CoordinatorProcess child = CoordinatorProcess.start(state, 0, measurement, adminCert); // binds a free port
    int port = child.port();
    try {
      AttestedChannel.Target t = new AttestedChannel.Target("127.0.0.1", port,
          new Fixture.PolicyOnly(dir, state).policy(measurement));
      KeyIdentity owner = KeyIdentity.generate("hospital-a");
      KeyIdentity alice = KeyIdentity.generate("alice");
      for (var who : List.of(new Object[] {owner, "hospital-a", Role.OWNER}, new Object[] {alice, "alice", Role.SCIENTIST})) {
        call(t, admin, Api.ENROLL, EnrollRequest.newBuilder().setRole((Role) who[2]).setName((String) who[1])
            .setCertificateDer(ByteString.copyFrom(((KeyIdentity) who[0]).certificate().getEncoded())).build());
      }
      datasetId = upload(t, owner, "crash-part", 0, 2000, license(50, List.of("alice"), List.of("alice"), List.of()));
      JobSpec spec = JobSpec.newBuilder().setModelJson(mlpJson(10)).addDatasetIds(datasetId).setSteps(total)
          .setBatchSize(64).setNoiseMultiplier(sigma).setCheckpointEvery(25).setMetricsEvery(metricsEvery).build();
      jobId = call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build()).getId();
      // the coordinator's log says when a checkpoint is on disk: kill it past step 300
      Pattern checkpointed = Pattern.compile(".*job " + jobId + " checkpointed at step (\\d+) of.*");
      String line = child.awaitLine(l -> {
        Matcher m = checkpointed.matcher(l);
        return m.matches() && Long.parseLong(m.group(1)) >= 300;
      }, Duration.ofMinutes(2));
      Matcher m = checkpointed.matcher(line);
      assertThat(m.matches()).isTrue();
      killedAt = Long.parseLong(m.group(1));
      child.kill(); // SIGKILL: no shutdown hook runs
      assertThat(killedAt).isLessThan(total);

      child = CoordinatorProcess.start(state, port, measurement, adminCert);
      child.awaitLine(l -> l.contains("job " + jobId + " COMPLETED after"), Duration.ofMinutes(3));
      Job done = call(t, alice, Api.GET_JOB, GetJobRequest.newBuilder().setJobId(jobId).build());
      assertThat(done.getState()).as(done.getMessage()).isEqualTo(JobState.COMPLETED);
      assertThat(done.getStep()).isEqualTo(total);
      // every step taken before and after the crash, and every metric released, is on the books
      double implied = RdpAccountant.defaults().epsilon(q, sigma, total + total / metricsEvery, DELTA).epsilon();
      assertThat(spent(done, datasetId)).isGreaterThanOrEqualTo(implied);
    } finally {
      child.close();
    }

    // the journal: the job started twice, the second time from a checkpoint at or before the kill
    try (Coordinator c = Coordinator.start(CoordinatorConfig.builder(state, measurement).build())) {
      List<JournalEntry> started = c.journal().entries().stream().filter(e -> e.type().equals("job.started")).toList();
      assertThat(started).hasSize(2);
      long resumedFrom = started.get(1).payloadJson().path("fromStep").asLong();
      // the kill came after the checkpoint at killedAt was journaled: the restart resumes from it or a later one
      assertThat(resumedFrom).isGreaterThanOrEqualTo(killedAt).isLessThan(total);
      assertThat(resumedFrom % 25).isZero();
      long charged = c.journal().entries().stream().filter(e -> e.type().equals("privacy.charged"))
          .mapToLong(e -> e.payloadJson().path("steps").asLong()).sum();
      assertThat(charged).isGreaterThanOrEqualTo(total);
      // and the restarted coordinator does not run it again
      assertThat(c.journal().entries().stream().filter(e -> e.type().equals("job.finished")).count()).isEqualTo(1);
    }
  }

  /**
   * Issue 12, item 3: the journal cut at a record boundary (which no hash chain can tell from a clean end) after the
   * job's sealed checkpoint had moved on. The checkpoint proves the lost steps were taken, so they are charged again
   * before the job resumes: ε never drops below what the steps taken and metrics released imply.
   */
  @Test
  void aJournalCutAtARecordBoundary_behindTheCheckpoint_neverUnderCountsEpsilon() throws Exception {
    long total = 4000;
    int metricsEvery = 50;
    double sigma = 1.2;
    double q = 64 / 2000.0;
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity owner = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      AttestedChannel.Target t = f.target(f.coordinator.port());
      String datasetId = upload(t, owner, "cut-part", 0, 2000, license(50, List.of("alice"), List.of("alice"),
          List.of()));
      JobSpec spec = JobSpec.newBuilder().setModelJson(mlpJson(10)).addDatasetIds(datasetId).setSteps(total)
          .setBatchSize(64).setNoiseMultiplier(sigma).setCheckpointEvery(25).setMetricsEvery(metricsEvery).build();
      // the coordinator's own log line, once the checkpoint at step 400 or later is on disk and journaled
      java.util.concurrent.CompletableFuture<String> at400 = LogEvents.next(dev.rampart.coordinator.jobs.JobRunner.class,
          m -> m.matches("job .* checkpointed at step ([4-9]\\d\\d|\\d{4,}) of .*"));
      String jobId = call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build()).getId();
      at400.get(2, TimeUnit.MINUTES);
      assertThat(checkpointedAt(f.coordinator.journal().entries(), jobId)).isGreaterThanOrEqualTo(400);
      int port = f.coordinator.port();
      f.coordinator.close(); // the job stops at its next step; its checkpoint stays at the last one written
      // cut the journal just before the first checkpoint record at or after step 100
      Path journal = f.state.resolve("journal.sealed");
      List<JournalEntry> entries;
      try (Coordinator c = Coordinator.start(CoordinatorConfig.builder(f.state, f.measurement).build())) {
        entries = c.journal().entries();
      }
      int keep = 0;
      while (!(entries.get(keep).type().equals("job.checkpointed")
          && entries.get(keep).payloadJson().path("step").asLong() >= 100)) {
        keep++;
      }
      long offset = 0;
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(journal,
          java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer prefix = java.nio.ByteBuffer.allocate(4);
        for (int k = 0; k < keep; k++) {
          prefix.clear();
          ch.read(prefix, offset);
          offset += 4 + prefix.flip().getInt();
        }
        ch.truncate(offset);
      }
      double before = RdpAccountant.defaults().epsilon(q, sigma, 100, DELTA).epsilon();
      f.start(port, false);
      Job done = finished(f, alice, jobId);
      assertThat(done.getState()).as(done.getMessage()).isEqualTo(JobState.COMPLETED);
      assertThat(done.getStep()).isEqualTo(total);
      double implied = RdpAccountant.defaults().epsilon(q, sigma, total + total / metricsEvery, DELTA).epsilon();
      assertThat(spent(done, datasetId)).as("ε after the cut (the journal then implied %.3f) and the rest of the job",
          before).isGreaterThanOrEqualTo(implied);
      List<JournalEntry> recovered = f.coordinator.journal().entries().stream()
          .filter(e -> e.type().equals("privacy.charged") && e.payloadJson().path("purpose").asText()
              .equals("recovered")).toList();
      assertThat(recovered).singleElement().satisfies(e -> {
        assertThat(e.payloadJson().path("checkpointStep").asLong()).isGreaterThanOrEqualTo(400);
        assertThat(e.payloadJson().path("journalCharged").asLong()).isLessThanOrEqualTo(125);
      });
    }
  }

  private static long checkpointedAt(List<JournalEntry> entries, String jobId) {
    return entries.stream().filter(e -> e.type().equals("job.checkpointed")
        && e.payloadJson().path("job").asText().equals(jobId)).mapToLong(e -> e.payloadJson().path("step").asLong())
        .max().orElse(0);
  }

  /**
   * Issue 12, item 8: a damaged sealed dataset gave a job "internal error (IOException)". Now the job fails naming
   * the damaged file and what to do.
   */
  @Test
  void aDamagedSealedDataset_failsTheJobNamingTheFile() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity owner = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      AttestedChannel.Target t = f.target(f.coordinator.port());
      String datasetId = upload(t, owner, "damaged", 0, 2000, license(50, List.of("alice"), List.of("alice"),
          List.of()));
      Path sealed = f.state.resolve("datasets").resolve(datasetId).resolve("00000000.chunk");
      byte[] bytes = java.nio.file.Files.readAllBytes(sealed);
      bytes[bytes.length / 2] ^= 0x40; // one bit, inside a sealed segment
      java.nio.file.Files.write(sealed, bytes);
      JobSpec spec = JobSpec.newBuilder().setModelJson(mlpJson(10)).addDatasetIds(datasetId).setSteps(5)
          .setBatchSize(64).setNoiseMultiplier(1.0).build();
      String jobId = call(t, alice, Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(spec).build()).getId();
      Job done = finished(f, alice, jobId);
      assertThat(done.getState()).isEqualTo(JobState.FAILED);
      assertThat(done.getMessage()).contains("damaged").contains(datasetId + "/00000000.chunk").contains("backup")
          .doesNotContain("internal error");
    }
  }
}
