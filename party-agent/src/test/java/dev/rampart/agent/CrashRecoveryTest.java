package dev.rampart.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.coordinator.CoordinatorProcess;
import dev.rampart.datasets.Header;
import dev.rampart.journal.JournalReport;
import dev.rampart.journal.JournalVerifier;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of a coordinator process in the middle of an upload, then a restart on the same state. */
class CrashRecoveryTest {
  @TempDir Path dir;

  private CoordinatorProcess child;

  @Test
  void killDashNineDuringUpload_resumesFromTheLastAcknowledgedChunk_andStoresIdenticalData() throws Exception {
    Path state = dir.resolve("state");
    byte[] measurement = Fixture.sha384("crash test coordinator");
    KeyIdentity admin = KeyIdentity.generate("admin");
    admin.save(dir.resolve("admin"));
    Path adminCert = dir.resolve("admin/cert.pem");
    child = CoordinatorProcess.start(state, 0, measurement, adminCert); // the child binds a free port and says which
    int port = child.port();
    try {
      Fixture policies = new Fixture.PolicyOnly(dir, state);
      AttestedChannel.Target target = new AttestedChannel.Target("127.0.0.1", port, policies.policy(measurement));
      KeyIdentity owner = KeyIdentity.generate("hospital-a");
      try (AttestedChannel c = AttestedChannel.open(null, target, admin, Clock.systemUTC(), Duration.ofSeconds(30))) {
        c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(Role.OWNER).setName("hospital-a")
            .setCertificateDer(com.google.protobuf.ByteString.copyFrom(owner.certificate().getEncoded())).build());
        c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(Role.SCIENTIST).setName("alice")
            .setCertificateDer(com.google.protobuf.ByteString.copyFrom(KeyIdentity.generate("alice").certificate()
                .getEncoded())).build());
      }
      PartyAgent.Canonical canonical = PartyAgent.canonical(DataPlaneTest.fashionTrain("fashion-part", 0, 20_000,
          DataPlaneTest.license("alice")));
      Header h = canonical.summary().header();
      List<Long> resumedFrom = new ArrayList<>();
      List<Integer> listedWhileBroken = new ArrayList<>();
      try (PartyAgent agent = new PartyAgent(target, owner, Clock.systemUTC(), Duration.ofSeconds(30))) {
        Uploader uploader = new Uploader(agent::session, owner, 10, Duration.ofMillis(200));
        DatasetManifest m = uploader.manifest("fashion-part", canonical.bytes(), h.rowCount(), h.featureCount(),
            h.classCount());
        Uploader.Progress killer = new Uploader.Progress() {
          boolean killed;

          @Override
          public void start(String name, long total, long already) {
            resumedFrom.add(already);
          }

          @Override
          public void advance(long done) {
            if (!killed && done >= 5L << 20) {
              killed = true;
              try {
                child.kill(); // SIGKILL: no shutdown hook runs
                child = CoordinatorProcess.start(state, port, measurement, adminCert);
                try (AttestedChannel c = agent.session()) {
                  listedWhileBroken.add(c.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance())
                      .getDatasetsCount());
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          }
        };
        Uploader.Result r = uploader.upload(m, canonical.bytes(), DataPlaneTest.license("alice"), killer);
        assertThat(r.uploaded()).isTrue();
        assertThat(r.dataset().getManifest().getDatasetId()).isEqualTo(canonical.summary().sha256Hex());
      }
      // nothing half-written was served; the second session resumed past the acknowledged chunks
      assertThat(listedWhileBroken).containsExactly(0);
      assertThat(resumedFrom).hasSize(2);
      assertThat(resumedFrom.get(0)).isZero();
      assertThat(resumedFrom.get(1)).isGreaterThanOrEqualTo(5L << 20).isLessThan(canonical.bytes().length);
    } finally {
      child.close();
    }

    // the same state, opened in this process: identical data, a verifying journal, no plaintext on disk
    try (Coordinator c = Coordinator.start(CoordinatorConfig.builder(state, measurement).build())) {
      JournalReport report = JournalVerifier.verify(c.journal().entries(), new Fixture.PolicyOnly(dir, state)
          .policy(measurement));
      assertThat(report.ok()).as(report.summary()).isTrue();
      assertThat(report.boots()).hasSize(3);
    }
    byte[] expected = PartyAgent.canonical(DataPlaneTest.fashionTrain("x", 0, 20_000, DataPlaneTest.license()))
        .bytes();
    String id = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(expected));
    assertThat(DataPlaneTest.openStored(state, id)).isEqualTo(expected);
    try (var uploads = Files.list(state.resolve("uploads"))) {
      assertThat(uploads.toList()).isEmpty();
    }
    DataPlaneTest.assertNoPlaintext(state, expected);
  }
}
