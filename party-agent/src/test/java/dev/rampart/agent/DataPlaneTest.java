package dev.rampart.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.attestation.Check;
import dev.rampart.attestation.Failure;
import dev.rampart.journal.JournalReport;
import dev.rampart.journal.JournalVerifier;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestationException;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetInfo;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.RequestApprovalRequest;
import dev.rampart.protocol.v1.RevokeRequest;
import dev.rampart.protocol.v1.Role;
import dev.rampart.protocol.v1.SetLicenseRequest;
import dev.rampart.protocol.v1.WeightRelease;
import dev.rampart.protocol.v1.WhoAmIRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data plane over real TLS sockets on 127.0.0.1: attestation, identities, uploads, licenses, journal. */
class DataPlaneTest {
  @TempDir Path dir;

  static AgentConfig.DatasetSpec fashion(String name, long from, long to, License license) {
    return new AgentConfig.DatasetSpec(name, new AgentConfig.IdxSpec(
        Fixture.FASHION.resolve("t10k-images-idx3-ubyte.gz"), Fixture.FASHION.resolve("t10k-labels-idx1-ubyte.gz"),
        10, from, to), null, license);
  }

  /** Rows [from, to) of Fashion-MNIST's 60000-row training file (large enough for many 1 MiB chunks). */
  static AgentConfig.DatasetSpec fashionTrain(String name, long from, long to, License license) {
    return new AgentConfig.DatasetSpec(name, new AgentConfig.IdxSpec(
        Fixture.FASHION.resolve("train-images-idx3-ubyte.gz"), Fixture.FASHION.resolve("train-labels-idx1-ubyte.gz"),
        10, from, to), null, license);
  }

  static License license(String... scientists) {
    return License.newBuilder().addAllListers(List.of(scientists)).addAllTrainers(List.of(scientists))
        .setDpRequired(true).setEpsilon(3).setDelta(1e-5).setWeightRelease(WeightRelease.AFTER_OWNER_APPROVAL)
        .addAllReleaseTo(List.of(scientists)).build();
  }

  static AgentConfig config(AgentConfig.DatasetSpec... specs) {
    return new AgentConfig("unused", Path.of("unused"), Path.of("unused"), List.of(specs));
  }

  @Test
  void upload_isSealed_idempotent_andListedOnlyAsTheLicenseSays() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity b = f.enrol("hospital-b", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      KeyIdentity eve = f.enrol("eve", Role.SCIENTIST);
      AgentConfig cfg = config(fashion("fashion-a", 0, 2000, license("alice")));
      DatasetInfo stored;
      try (PartyAgent agent = f.agent(a)) {
        List<Uploader.Result> first = agent.publish(cfg, Uploader.Progress.NONE);
        assertThat(first.get(0).uploaded()).isTrue();
        stored = first.get(0).dataset();
        assertThat(stored.getManifest().getRows()).isEqualTo(2000);
        // running again uploads nothing
        long before = f.coordinator.callCounts().getOrDefault(Api.UPLOAD_CHUNK.fullName(), 0L);
        List<Uploader.Result> again = agent.publish(cfg, Uploader.Progress.NONE);
        assertThat(again.get(0).uploaded()).isFalse();
        assertThat(again.get(0).licenseChanged()).isFalse();
        assertThat(f.coordinator.callCounts().getOrDefault(Api.UPLOAD_CHUNK.fullName(), 0L)).isEqualTo(before);
      }
      String id = stored.getManifest().getDatasetId();

      // listing follows the license
      try (AttestedChannel c = f.session(alice)) {
        assertThat(c.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList())
            .extracting(d -> d.getManifest().getDatasetId()).containsExactly(id);
      }
      try (AttestedChannel c = f.session(eve)) {
        assertThat(c.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList()).isEmpty();
      }
      // one owner cannot change another's license
      try (AttestedChannel c = f.session(b)) {
        assertThatThrownBy(() -> c.call(Api.SET_LICENSE, SetLicenseRequest.newBuilder().setDatasetId(id)
            .setLicense(license("eve")).build()))
            .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
      }

      // the stored file decrypts to exactly the canonical bytes, and no plaintext row is anywhere on disk
      byte[] canonical = PartyAgent.canonical(cfg.datasets().get(0)).bytes();
      assertThat(openStored(f.state, id)).isEqualTo(canonical);
      assertNoPlaintext(f.state, canonical);
    }
  }

  /** An agent process that begins an upload and dies once the first chunk is acknowledged (its session closes). */
  static void uploadThenDieAfterTheFirstChunk(Fixture f, KeyIdentity owner, String name, PartyAgent.Canonical c,
      License license) throws Exception {
    var h = c.summary().header();
    try (PartyAgent agent = f.agent(owner)) {
      Uploader up = new Uploader(agent::session, owner, 1, Duration.ofMillis(10));
      DatasetManifest m = up.manifest(name, c.bytes(), h.rowCount(), h.featureCount(), h.classCount());
      assertThatThrownBy(() -> up.upload(m, c.bytes(), license, new Uploader.Progress() {
        @Override
        public void advance(long done) {
          if (done >= 1L << 20) {
            throw new IllegalStateException("the agent process dies");
          }
        }
      })).hasMessageContaining("dies");
    }
  }

  /** The stored dataset, decrypted with the state directory's own (simulated) sealing keys. */
  static byte[] openStored(Path state, String id) throws IOException {
    var store = new dev.rampart.coordinator.storage.DatasetStore(state,
        dev.rampart.coordinator.storage.SealingKeys.loadOrCreate(
            state.resolve(dev.rampart.coordinator.storage.SealingKeys.FILE_NAME), false));
    try (var in = store.open(id)) {
      return in.readAllBytes();
    }
  }

  /** Searches every file under the state directory for 64-byte windows of real rows. */
  static void assertNoPlaintext(Path state, byte[] canonical) throws IOException {
    // windows from rows in the middle of images (not the all-zero borders) at several places
    List<byte[]> needles = Stream.of(32 + 400L, 32 + 788 * 500L + 400, 32 + 788 * 1500L + 300)
        .map(o -> Arrays.copyOfRange(canonical, o.intValue(), o.intValue() + 64)).toList();
    try (Stream<Path> files = Files.walk(state)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        byte[] content = Files.readAllBytes(p);
        for (byte[] needle : needles) {
          assertThat(indexOf(content, needle)).as("plaintext row bytes in " + p).isEqualTo(-1);
        }
      }
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void wrongMeasurement_sendsNoDataByte() throws Exception {
    try (Fixture f = new Fixture(dir); CountingProxy proxy = new CountingProxy(f.coordinator.port())) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      var before = f.coordinator.callCounts();
      long bytesBefore = proxy.clientToServer.get();
      AttestedChannel.Target wrong = new AttestedChannel.Target("127.0.0.1", proxy.port(),
          f.policy(Fixture.sha384("some other build")));
      PartyAgent agent = new PartyAgent(wrong, a, Clock.systemUTC(), Duration.ofSeconds(30));
      try (agent) {
        assertThatThrownBy(() -> agent.publish(config(fashion("fashion-a", 0, 2000, license("alice"))),
            Uploader.Progress.NONE))
            .isInstanceOfSatisfying(AttestationException.class, e -> {
              assertThat(e.result().failures()).extracting(Failure::check).containsExactly(Check.MEASUREMENT);
              assertThat(e.getMessage()).contains("nothing was sent");
            });
      }
      // on the wire: the TLS handshake, the nonce and the closing, nothing near one 1.5 MB dataset
      assertThat(proxy.clientToServer.get() - bytesBefore).isLessThan(8 * 1024);
      // the coordinator saw one more attestation and nothing else: not even the agent's identity check
      var after = new java.util.TreeMap<>(f.coordinator.callCounts());
      after.merge(Api.ATTEST.fullName(), -1L, Long::sum);
      assertThat(after).isEqualTo(before);
    }
  }

  @Test
  void debugEvidence_isRefused_beforeAnyData() throws Exception {
    try (Fixture f = new Fixture(dir, Fixture.sha384("debug build"), true)) {
      assertThatThrownBy(() -> f.session(f.admin))
          .isInstanceOfSatisfying(AttestationException.class,
              e -> assertThat(e.result().failures()).extracting(Failure::check).contains(Check.DEBUG));
      assertThat(f.coordinator.callCounts()).containsOnlyKeys(Api.ATTEST.fullName());
    }
  }

  @Test
  void anotherCoordinatorAfterAttestation_isDetected_andGetsNothing() throws Exception {
    Path other = dir.resolve("other");
    try (Fixture f = new Fixture(dir.resolve("one")); Fixture mitm = new Fixture(other);
        CountingProxy proxy = new CountingProxy(f.coordinator.port())) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      // the man in the middle even runs genuine code in a TEE the policy trusts: only its key differs
      AttestedChannel.Target viaProxy = new AttestedChannel.Target("127.0.0.1", proxy.port(), f.policy());
      try (AttestedChannel c = AttestedChannel.open(null, viaProxy, a, Clock.systemUTC(), Duration.ofSeconds(30))) {
        proxy.retarget(mitm.coordinator.port());
        proxy.dropConnections();
        // the first call may still meet the cut connection (a transient error, nothing delivered); the
        // session's next connection reaches the other coordinator and is refused before a byte of the call
        RpcException failure = null;
        for (int i = 0; i < 3 && !(failure instanceof AttestationException); i++) {
          try {
            c.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance());
          } catch (RpcException e) {
            failure = e;
          }
        }
        assertThat(failure).isInstanceOf(AttestationException.class).hasMessageContaining("not the one it attested");
      }
      assertThat(mitm.coordinator.callCounts()).doesNotContainKey(Api.LIST_DATASETS.fullName());
    }
  }

  @Test
  void unenrolledOrRevokedKeys_getOnlyAnAuthenticationError() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity stranger = KeyIdentity.generate("stranger");
      assertThatThrownBy(() -> f.session(stranger))
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));
      KeyIdentity bob = f.enrol("bob", Role.SCIENTIST);
      try (AttestedChannel c = f.session(bob)) {
        assertThat(c.call(Api.WHO_AM_I, WhoAmIRequest.getDefaultInstance()).getName()).isEqualTo("bob");
      }
      try (AttestedChannel c = f.session(f.admin)) {
        c.call(Api.REVOKE, RevokeRequest.newBuilder().setName("bob").build());
      }
      assertThatThrownBy(() -> f.session(bob))
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));
      // and a scientist is no admin
      KeyIdentity carol = f.enrol("carol", Role.SCIENTIST);
      try (AttestedChannel c = f.session(carol)) {
        assertThatThrownBy(() -> c.call(Api.REVOKE, RevokeRequest.newBuilder().setName("carol").build()))
            .isInstanceOfSatisfying(RpcException.class,
                e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
      }
    }
  }

  @Test
  void approvals_queue_andOwnersDecide_andTheJournalVerifiesAcrossARestart() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity b = f.enrol("hospital-b", Role.OWNER);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      String idA;
      String idB;
      try (PartyAgent agentA = f.agent(a); PartyAgent agentB = f.agent(b)) {
        idA = agentA.publish(config(fashion("a", 0, 600, license("alice"))), Uploader.Progress.NONE).get(0)
            .dataset().getManifest().getDatasetId();
        idB = agentB.publish(config(fashion("b", 600, 1200, license("alice"))), Uploader.Progress.NONE).get(0)
            .dataset().getManifest().getDatasetId();
      }
      ApprovalRequest req;
      try (AttestedChannel c = f.session(alice)) {
        // issue 12, item 9: a subject is one of the scientist's ended jobs, not free text
        RpcException spam = org.assertj.core.api.Assertions.catchThrowableOfType(RpcException.class, () -> c.call(
            Api.REQUEST_APPROVAL, RequestApprovalRequest.newBuilder().setKind("weight-release").setSubject("job-1")
                .addDatasetIds(idA).addDatasetIds(idB).build()));
        assertThat(spam.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(spam.getMessage()).contains("no job job-1");
        String jobId = c.call(Api.SUBMIT_JOB, dev.rampart.protocol.v1.SubmitJobRequest.newBuilder().setSpec(
            dev.rampart.protocol.v1.JobSpec.newBuilder().setModelJson(JobsEndToEndTest.mlpJson(10)).addDatasetIds(idA)
                .addDatasetIds(idB).setSteps(2).setBatchSize(64).setNoiseMultiplier(1.0)).build()).getId();
        f.coordinator.jobs().whenFinished(jobId).get(2, java.util.concurrent.TimeUnit.MINUTES);
        long entries = f.coordinator.journal().entries().size();
        req = c.call(Api.REQUEST_APPROVAL, RequestApprovalRequest.newBuilder().setKind("weight-release")
            .setSubject(jobId).addDatasetIds(idA).addDatasetIds(idB).build());
        // asking again returns the pending request; nothing more is journaled
        for (int i = 0; i < 5; i++) {
          assertThat(c.call(Api.REQUEST_APPROVAL, RequestApprovalRequest.newBuilder().setKind("weight-release")
              .setSubject(jobId).addDatasetIds(idA).addDatasetIds(idB).build()).getId()).isEqualTo(req.getId());
        }
        assertThat(f.coordinator.journal().entries()).hasSize((int) entries + 1);
      }
      assertThat(req.getState()).isEqualTo(ApprovalState.PENDING);
      assertThat(req.getPendingOwnersList()).containsExactlyInAnyOrder(a.fingerprint(), b.fingerprint());

      f.restart(); // state comes back from the journal
      try (PartyAgent agentA = f.agent(a); PartyAgent agentB = f.agent(b)) {
        assertThat(agentA.approvals(true)).extracting(ApprovalRequest::getId).containsExactly(req.getId());
        assertThat(agentA.decide(req.getId(), true, "ok").getState()).isEqualTo(ApprovalState.PENDING);
        assertThat(agentB.decide(req.getId(), true, "ok").getState()).isEqualTo(ApprovalState.APPROVED);
        assertThatThrownBy(() -> agentB.decide(req.getId(), false, "changed my mind"))
            .isInstanceOfSatisfying(RpcException.class,
                e -> assertThat(e.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION));

        // owner A's export: full chain, B's dataset entry redacted, verifies offline against A's policy
        List<dev.rampart.journal.JournalEntry> export = AuditFiles.fromProto(agentA.exportJournal());
        JournalReport report = JournalVerifier.verify(export, f.policy());
        assertThat(report.ok()).as(report.summary()).isTrue();
        assertThat(report.boots()).hasSize(2);
        assertThat(export).filteredOn(e -> e.type().equals("dataset.stored") && !e.isRedacted())
            .singleElement().satisfies(e -> assertThat(e.subjects()).contains(idA));
        assertThat(export).filteredOn(e -> e.type().equals("dataset.stored") && e.isRedacted()).hasSize(1);

        // reordering two entries is detected
        List<dev.rampart.journal.JournalEntry> swapped = new java.util.ArrayList<>(export);
        java.util.Collections.swap(swapped, 3, 4);
        assertThat(JournalVerifier.verify(swapped, f.policy()).ok()).isFalse();
      }
    }
  }

  @Test
  void replayedEvidence_staleNonce_isRefused_andTheReplayerGetsNothing() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      // evidence the genuine coordinator gave for someone else's nonce, on its own TLS key
      dev.rampart.protocol.v1.AttestResponse recorded;
      try (AttestedChannel c = f.session(a)) {
        recorded = c.call(Api.ATTEST, dev.rampart.protocol.v1.AttestRequest.newBuilder()
            .setNonce(com.google.protobuf.ByteString.copyFrom(new byte[32])).build());
      }
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      try {
        io.vertx.grpc.server.GrpcServer replayer = io.vertx.grpc.server.GrpcServer.server(vertx);
        replayer.callHandler(Api.ATTEST.server(), req -> req.handler(m -> {
          seen.add(Api.ATTEST.fullName());
          req.response().send(recorded);
        }));
        replayer.callHandler(req -> seen.add(req.fullMethodName()));
        io.vertx.core.http.HttpServer server = vertx.createHttpServer(dev.rampart.protocol.Tls.serverOptions(
            KeyIdentity.generate("replayer"), Duration.ofMinutes(1))).requestHandler(replayer)
            .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
        AttestedChannel.Target t = new AttestedChannel.Target("127.0.0.1", server.actualPort(), f.policy());
        assertThatThrownBy(() -> AttestedChannel.open(null, t, a, Clock.systemUTC(), Duration.ofSeconds(30)))
            .isInstanceOfSatisfying(AttestationException.class,
                e -> assertThat(e.result().failures()).extracting(Failure::check).containsExactly(Check.BINDING));
        assertThat(seen).containsExactly(Api.ATTEST.fullName());
      } finally {
        vertx.close();
      }
    }
  }

  @Test
  void namesAreNeverReused_andALaterAdminKeyOnTheCommandLineIsIgnored() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      f.enrol("alice", Role.SCIENTIST);
      try (AttestedChannel c = f.session(f.admin)) {
        c.call(Api.REVOKE, RevokeRequest.newBuilder().setName("alice").build());
      }
      // a new key under the revoked name would inherit every license that names alice
      assertThatThrownBy(() -> f.enrol("alice", Role.SCIENTIST)).hasRootCauseInstanceOf(RpcException.class)
          .rootCause().hasMessageContaining("never reused");
      // the host restarts the coordinator naming its own admin key: it stays a stranger
      KeyIdentity hostAdmin = KeyIdentity.generate("host-admin");
      hostAdmin.save(dir.resolve("keys/host-admin"));
      int port = f.coordinator.port();
      f.coordinator.close();
      f.coordinator = dev.rampart.coordinator.Coordinator.start(dev.rampart.coordinator.CoordinatorConfig
          .builder(f.state, f.measurement).listen("127.0.0.1", port)
          .adminCertificate(dir.resolve("keys/host-admin/cert.pem")).build());
      assertThatThrownBy(() -> f.session(hostAdmin)).isInstanceOfSatisfying(RpcException.class,
          e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));
    }
  }

  @Test
  void anotherOwnersFinishOfTheSameContent_learnsNothing_andAnAgentRestartResumes() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity b = f.enrol("hospital-b", Role.OWNER);
      f.enrol("alice", Role.SCIENTIST);
      f.enrol("eve", Role.SCIENTIST);
      // 25000 training rows, 19.6 MB: 19 chunks, so that the chunks in flight (Uploader.IN_FLIGHT = 8) when the
      // first process dies can never be all of them, however fast the machine
      AgentConfig.DatasetSpec spec = fashionTrain("fashion-a", 0, 25_000, license("alice"));
      PartyAgent.Canonical c = PartyAgent.canonical(spec);
      assertThat(c.bytes().length).isGreaterThan((2 * Uploader.IN_FLIGHT) << 20);
      var h = c.summary().header();

      // owner A's first agent process dies after the first acknowledged chunk
      uploadThenDieAfterTheFirstChunk(f, a, "fashion-a", c, spec.license());
      // owner B starts an upload of the same content before A finishes
      String uploadB;
      try (PartyAgent agent = f.agent(b); AttestedChannel s = agent.session()) {
        Uploader up = new Uploader(agent::session, b, 1, Duration.ofMillis(10));
        DatasetManifest m = up.manifest("copy", c.bytes(), h.rowCount(), h.featureCount(), h.classCount());
        uploadB = s.call(Api.BEGIN_UPLOAD, dev.rampart.protocol.v1.BeginUploadRequest.newBuilder().setManifest(m)
            .setLicense(license("eve")).build()).getUploadId();
      }
      // A's new process (new signature) resumes where the first stopped
      List<Long> resumedFrom = new java.util.ArrayList<>();
      try (PartyAgent agent = f.agent(a)) {
        Uploader.Result r = agent.publish(config(spec), new Uploader.Progress() {
          @Override
          public void start(String name, long total, long already) {
            resumedFrom.add(already);
          }
        }).get(0);
        assertThat(r.uploaded()).isTrue();
      }
      // at least the acknowledged chunk, and not everything: chunks in flight when the process died may have landed
      assertThat(resumedFrom).singleElement().satisfies(from -> assertThat(from).isGreaterThanOrEqualTo(1L << 20)
          .isLessThan(c.bytes().length));
      // B's finish does not hand out A's dataset or license
      try (AttestedChannel s = f.session(b)) {
        assertThatThrownBy(() -> s.call(Api.FINISH_UPLOAD, dev.rampart.protocol.v1.FinishUploadRequest.newBuilder()
            .setUploadId(uploadB).build()))
            .isInstanceOfSatisfying(RpcException.class, e -> {
              assertThat(e.status()).isIn(GrpcStatus.FAILED_PRECONDITION, GrpcStatus.ALREADY_EXISTS);
              assertThat(e.getMessage()).doesNotContain("alice");
            });
        assertThat(s.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList()).isEmpty();
      }
    }
  }

  /**
   * Issue 12, item 2: an upload begun under a broad license (mallory may list, train, take weights; ε 8), its agent
   * killed after the first acknowledged chunk, the coordinator restarted, then resumed under a narrow one (alice
   * only, ε 1, weights never). The license in force is the one last sent: mallory sees nothing.
   */
  @Test
  void aResumedUpload_takesTheLicenseLastSent_acrossAKilledAgentAndARestart() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity mallory = f.enrol("mallory", Role.SCIENTIST);
      KeyIdentity alice = f.enrol("alice", Role.SCIENTIST);
      License broad = license("mallory").toBuilder().setEpsilon(8).setWeightRelease(WeightRelease.TO_NAMED).build();
      License narrow = license("alice").toBuilder().setEpsilon(1).setWeightRelease(WeightRelease.NEVER)
          .clearReleaseTo().build();
      AgentConfig.DatasetSpec first = fashionTrain("fashion-a", 0, 25_000, broad);
      PartyAgent.Canonical c = PartyAgent.canonical(first);
      uploadThenDieAfterTheFirstChunk(f, a, "fashion-a", c, broad);
      f.restart();
      List<Long> resumedFrom = new java.util.ArrayList<>();
      DatasetInfo stored;
      try (PartyAgent agent = f.agent(a)) {
        Uploader.Result r = agent.publish(config(fashionTrain("fashion-a", 0, 25_000, narrow)), new Uploader.Progress() {
          @Override
          public void start(String name, long total, long already) {
            resumedFrom.add(already);
          }
        }).get(0);
        assertThat(r.uploaded()).isTrue();
        stored = r.dataset();
      }
      assertThat(resumedFrom).singleElement().satisfies(from -> assertThat(from).isGreaterThanOrEqualTo(1L << 20));
      assertThat(stored.getLicense().getListersList()).containsExactly("alice");
      assertThat(stored.getLicense().getEpsilon()).isEqualTo(1.0);
      assertThat(stored.getLicense().getWeightRelease()).isEqualTo(WeightRelease.NEVER);
      try (AttestedChannel s = f.session(mallory)) {
        assertThat(s.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList()).isEmpty();
      }
      try (AttestedChannel s = f.session(alice)) {
        assertThat(s.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList())
            .extracting(d -> d.getManifest().getDatasetId()).containsExactly(stored.getManifest().getDatasetId());
      }
      // and after another restart (the license is the journal's, not a cache's)
      f.restart();
      try (AttestedChannel s = f.session(mallory)) {
        assertThat(s.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList()).isEmpty();
      }
    }
  }

  /**
   * Issue 12, item 9: two owners finishing uploads of the same content at the same moment. Exactly one stores it;
   * the other gets ALREADY_EXISTS and never the winner's dataset or license (before the fix, a loser that passed the
   * first check received the winner's DatasetInfo, license included).
   */
  @Test
  void twoOwnersFinishingTheSameContentAtOnce_neverSeeEachOthersLicense() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      KeyIdentity b = f.enrol("hospital-b", Role.OWNER);
      f.enrol("alice", Role.SCIENTIST);
      f.enrol("eve", Role.SCIENTIST);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
      try (AttestedChannel sa = f.session(a); AttestedChannel sb = f.session(b)) {
        for (int round = 0; round < 12; round++) {
          AgentConfig.DatasetSpec spec = fashion("race", round * 50, round * 50 + 100, license("alice"));
          PartyAgent.Canonical c = PartyAgent.canonical(spec);
          var h = c.summary().header();
          String[] ids = new String[2];
          AttestedChannel[] sessions = {sa, sb};
          KeyIdentity[] owners = {a, b};
          String[] scientists = {"alice", "eve"};
          for (int k = 0; k < 2; k++) {
            Uploader up = new Uploader(() -> sessions[0], owners[k], 1, Duration.ofMillis(10));
            DatasetManifest m = up.manifest("race", c.bytes(), h.rowCount(), h.featureCount(), h.classCount());
            ids[k] = sessions[k].call(Api.BEGIN_UPLOAD, dev.rampart.protocol.v1.BeginUploadRequest.newBuilder()
                .setManifest(m).setLicense(license(scientists[k])).build()).getUploadId();
            sessions[k].call(Api.UPLOAD_CHUNK, dev.rampart.protocol.v1.UploadChunkRequest.newBuilder()
                .setUploadId(ids[k]).setSeq(0).setData(com.google.protobuf.ByteString.copyFrom(c.bytes()))
                .setSha256(com.google.protobuf.ByteString.copyFrom(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(c.bytes()))).build());
          }
          List<java.util.concurrent.Future<DatasetInfo>> finishes = new java.util.ArrayList<>();
          java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
          for (int k = 0; k < 2; k++) {
            int kk = k;
            finishes.add(pool.submit(() -> {
              go.await();
              return sessions[kk].call(Api.FINISH_UPLOAD, dev.rampart.protocol.v1.FinishUploadRequest.newBuilder()
                  .setUploadId(ids[kk]).build());
            }));
          }
          go.countDown();
          int stored = 0;
          for (int k = 0; k < 2; k++) {
            try {
              DatasetInfo info = finishes.get(k).get();
              stored++;
              assertThat(info.getLicense().getListersList()).as("round " + round + ": owner " + k + "'s own license")
                  .containsExactly(scientists[k]);
            } catch (java.util.concurrent.ExecutionException e) {
              String other = scientists[1 - k];
              assertThat(e.getCause()).isInstanceOfSatisfying(RpcException.class, r -> {
                assertThat(r.status()).isEqualTo(GrpcStatus.ALREADY_EXISTS);
                assertThat(r.getMessage()).doesNotContain(other);
              });
            }
          }
          assertThat(stored).as("round " + round + ": exactly one owner stores the content").isEqualTo(1);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /**
   * Issue 12, item 8: the coordinator goes down after the first acknowledged chunk and comes back only once the
   * agent's retry has been refused. The agent
   * keeps retrying (it gave up after one 500 ms retry, the new session being opened outside the retry) and resumes.
   */
  @Test
  void anUploadRidesOutACoordinatorRestart() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      f.enrol("alice", Role.SCIENTIST);
      int port = f.coordinator.port();
      java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
      // back up once the agent has found the coordinator down: its second attempt is the one that was refused
      java.util.concurrent.CompletableFuture<String> refused = LogEvents.next(Uploader.class,
          m -> m.contains("attempt 2 of"));
      Thread[] restarter = new Thread[1];
      List<Long> resumedFrom = new java.util.ArrayList<>();
      Uploader.Result r;
      try (PartyAgent agent = f.agent(a)) {
        r = agent.publish(config(fashionTrain("fashion-a", 0, 25_000, license("alice"))), new Uploader.Progress() {
          @Override
          public void start(String name, long total, long already) {
            resumedFrom.add(already);
          }

          @Override
          public void advance(long done) {
            if (done >= 1L << 20 && down.compareAndSet(false, true)) {
              f.coordinator.close();
              restarter[0] = new Thread(() -> {
                try {
                  refused.get(2, java.util.concurrent.TimeUnit.MINUTES);
                  f.start(port, false);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
              restarter[0].start();
            }
          }
        }).get(0);
      }
      restarter[0].join();
      assertThat(r.uploaded()).isTrue();
      assertThat(resumedFrom).hasSize(2);
      assertThat(resumedFrom.get(1)).isGreaterThanOrEqualTo(1L << 20);
      assertThat(r.dataset().getManifest().getRows()).isEqualTo(25_000);
    }
  }

  /**
   * Issue 12, item 9: a license may grant only to enrolled scientists. A name is bound to one key for ever (names are
   * never reused), so the admin can no longer enrol some key under a name an owner licensed in advance.
   */
  @Test
  void aLicenseNamingAnUnenrolledScientistOrAnOwner_isRefused() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      KeyIdentity a = f.enrol("hospital-a", Role.OWNER);
      f.enrol("alice", Role.SCIENTIST);
      try (PartyAgent agent = f.agent(a)) {
        assertThatThrownBy(() -> agent.publish(config(fashion("d", 0, 100, license("alice", "nobody"))),
            Uploader.Progress.NONE))
            .isInstanceOfSatisfying(RpcException.class, e -> {
              assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains("'nobody', who is not an enrolled scientist").contains("enrol");
            });
        assertThatThrownBy(() -> agent.publish(config(fashion("d", 0, 100, license("hospital-a"))),
            Uploader.Progress.NONE))
            .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.getMessage()).contains("belongs to an owner"));
        String id = agent.publish(config(fashion("d", 0, 100, license("alice"))), Uploader.Progress.NONE).get(0)
            .dataset().getManifest().getDatasetId();
        // and SetLicense the same
        try (AttestedChannel c = f.session(a)) {
          assertThatThrownBy(() -> c.call(Api.SET_LICENSE, SetLicenseRequest.newBuilder().setDatasetId(id)
              .setLicense(license("alice", "mallory")).build()))
              .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.getMessage()).contains("'mallory'"));
        }
      }
    }
  }
}
