package dev.rampart.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rampart.agent.AgentConfig;
import dev.rampart.agent.PartyAgent;
import dev.rampart.agent.Uploader;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.coordinator.CoordinatorProcess;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Role;
import dev.rampart.protocol.v1.WeightRelease;
import dev.rampart.trainer.ModelFile;
import dev.rampart.trainer.Models;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The client against a real coordinator process over real sockets: train, watch through a kill -9 and restart
 * of the coordinator (the watch re-attests the new boot and follows the resumed job), then fetch the weights.
 */
class ClientEndToEndTest {
  private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  @TempDir Path dir;
  @Test
  void watchFollowsAJobThroughAKilledAndRestartedCoordinator_thenTheWeightsArrive() throws Exception {
    Path state = dir.resolve("state");
    byte[] measurement = MessageDigest.getInstance("SHA-384").digest("client e2e".getBytes(StandardCharsets.UTF_8));
    KeyIdentity admin = KeyIdentity.generate("admin");
    admin.save(dir.resolve("admin"));
    Path adminCert = dir.resolve("admin/cert.pem");
    CoordinatorProcess child = CoordinatorProcess.start(state, 0, measurement, adminCert); // binds a free port
    int port = child.port();
    try {
      AttestationPolicy policy = AttestationPolicy.parse(SimulatedTee.loadOrCreate(state.resolve("simulated-tee"))
          .policyJson(measurement).getBytes(StandardCharsets.UTF_8));
      AttestedChannel.Target target = new AttestedChannel.Target("127.0.0.1", port, policy);
      KeyIdentity owner = KeyIdentity.generate("hospital-a");
      KeyIdentity alice = KeyIdentity.generate("alice");
      try (AttestedChannel c = AttestedChannel.open(null, target, admin, Clock.systemUTC(), Duration.ofSeconds(30))) {
        c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(Role.OWNER).setName("hospital-a")
            .setCertificateDer(ByteString.copyFrom(owner.certificate().getEncoded())).build());
        c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(Role.SCIENTIST).setName("alice")
            .setCertificateDer(ByteString.copyFrom(alice.certificate().getEncoded())).build());
      }
      License license = License.newBuilder().addListers("alice").addTrainers("alice").setDpRequired(true)
          .setEpsilon(50).setDelta(1e-5).setWeightRelease(WeightRelease.TO_NAMED).addReleaseTo("alice").build();
      try (PartyAgent agent = new PartyAgent(target, owner, Clock.systemUTC(), Duration.ofSeconds(30))) {
        agent.publish(new AgentConfig("unused", Path.of("unused"), Path.of("unused"), List.of(
            new AgentConfig.DatasetSpec("part", new AgentConfig.IdxSpec(FASHION.resolve("t10k-images-idx3-ubyte.gz"),
                FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10, 0, 2000), null, license))), Uploader.Progress.NONE);
      }
      Path modelJson = dir.resolve("mlp.json");
      Files.writeString(modelJson, Models.mlp(784, 32, 10, new Sgd(0.5), 3).getLayerWiseConfigurations().toJson());

      try (RampartClient client = RampartClient.connect(target, alice)) {
        String dataset = client.datasets().get(0).getManifest().getDatasetId();
        Job job = client.train(TrainRequest.builder().model(modelJson).datasets(List.of(client.resolveDatasetId(dataset.substring(0, 10))))
            .steps(3000).batchSize(64).noiseMultiplier(1.2).checkpointEvery(25).metricsEvery(100).build());
        assertThat(job.getTotalSteps()).isEqualTo(3000);
        List<Job> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Job> watched = CompletableFuture.supplyAsync(() -> {
          try {
            return client.watch(job.getId(), Duration.ofMillis(100), seen::add);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        // the coordinator's log says when a checkpoint is on disk: kill it past step 300
        child.awaitLine(l -> l.matches(".*job " + job.getId() + " checkpointed at step ([3-9]\\d\\d|\\d{4}) of.*"),
            Duration.ofMinutes(2));
        int seenAtKill = seen.size();
        child.kill(); // SIGKILL
        child = CoordinatorProcess.start(state, port, measurement, adminCert);
        Job done = watched.get(3, TimeUnit.MINUTES);
        assertThat(done.getState()).as(done.getMessage()).isEqualTo(JobState.COMPLETED);
        assertThat(done.getStep()).isEqualTo(3000);
        // the watch reported the run before the kill and its end after the restart
        assertThat(seen.subList(0, seenAtKill)).anyMatch(j -> j.getState() == JobState.RUNNING && j.getStep() < 3000);
        assertThat(seen.size()).as("reports after the restart").isGreaterThan(seenAtKill);
        assertThat(seen.get(seen.size() - 1)).isEqualTo(done);

        Path model = dir.resolve("model.rmodel");
        FetchResult r = client.fetchModel(job.getId(), model);
        assertThat(r.released()).isTrue();
        assertThat(ModelFile.read(Files.readAllBytes(model)).numParams()).isEqualTo(784 * 32 + 32 + 32 * 10 + 10);
      }
    } finally {
      child.close();
    }
    // the job was running when the process was killed (no race on a future's state): it started twice
    try (dev.rampart.coordinator.Coordinator c = dev.rampart.coordinator.Coordinator.start(
        dev.rampart.coordinator.CoordinatorConfig.builder(state, measurement).build())) {
      assertThat(c.journal().entries().stream().filter(e -> e.type().equals("job.started")).count()).isEqualTo(2);
    }
  }
}
