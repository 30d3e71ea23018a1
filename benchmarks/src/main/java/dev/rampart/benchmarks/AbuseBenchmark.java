package dev.rampart.benchmarks;

import com.google.protobuf.ByteString;
import dev.rampart.agent.AgentConfig;
import dev.rampart.agent.PartyAgent;
import dev.rampart.agent.Uploader;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.Role;
import dev.rampart.protocol.v1.SubmitJobRequest;
import dev.rampart.protocol.v1.WeightRelease;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The red team's two resource attacks (issue 12, items 4 and 6), measured against an in-process coordinator in one
 * run: another principal's ListDatasets latency while three scientists flood the coordinator with concurrent
 * submissions of a 784-20000-10 model (15.7M parameters), against the same call idle; and the resident memory of
 * the process after 240 refused submissions of that model (with layer norm, which the trainer refuses).
 */
public final class AbuseBenchmark {
  private AbuseBenchmark() {}

  public record Result(double idleMedianMs, double idleP95Ms, double floodMedianMs, double floodP95Ms,
      int floodCalls, int accepted, int refused, int refusedSubmissions, double rssGrowthMb) {
    public double ratio() {
      return floodMedianMs / idleMedianMs;
    }
  }

  static final int SCIENTISTS = 3;

  public static Result run(Path fashionDir, int floodPerScientist, int refusedSubmissions, Path dir) throws Exception {
    byte[] measurement = MessageDigest.getInstance("SHA-384").digest("abuse benchmark".getBytes(StandardCharsets.UTF_8));
    KeyIdentity admin = KeyIdentity.generate("admin");
    admin.save(dir.resolve("admin"));
    try (Coordinator c = Coordinator.start(CoordinatorConfig.builder(dir.resolve("state"), measurement)
        .adminCertificate(dir.resolve("admin/cert.pem")).build())) {
      AttestationPolicy policy = AttestationPolicy.parse(SimulatedTee.loadOrCreate(dir.resolve("state/simulated-tee"))
          .policyJson(measurement).getBytes(StandardCharsets.UTF_8));
      AttestedChannel.Target target = new AttestedChannel.Target("127.0.0.1", c.port(), policy);
      KeyIdentity owner = KeyIdentity.generate("owner");
      List<KeyIdentity> scientists = new ArrayList<>();
      try (AttestedChannel s = AttestedChannel.open(null, target, admin, Clock.systemUTC(), Duration.ofSeconds(60))) {
        enrol(s, owner, "owner", Role.OWNER);
        for (int i = 0; i < SCIENTISTS; i++) {
          KeyIdentity k = KeyIdentity.generate("scientist-" + i);
          enrol(s, k, "scientist-" + i, Role.SCIENTIST);
          scientists.add(k);
        }
      }
      List<String> names = scientists.stream().map(k -> k.name()).toList();
      License license = License.newBuilder().addAllListers(names).addAllTrainers(names).setDpRequired(true)
          .setEpsilon(50).setDelta(1e-5).setWeightRelease(WeightRelease.NEVER).build();
      String datasetId;
      try (PartyAgent agent = new PartyAgent(target, owner, Clock.systemUTC(), Duration.ofSeconds(120))) {
        datasetId = agent.publish(new AgentConfig("unused", Path.of("unused"), Path.of("unused"), List.of(
            new AgentConfig.DatasetSpec("abuse", new AgentConfig.IdxSpec(fashionDir.resolve("t10k-images-idx3-ubyte.gz"),
                fashionDir.resolve("t10k-labels-idx1-ubyte.gz"), 10, 0, 2000), null, license))),
            Uploader.Progress.NONE).get(0).dataset().getManifest().getDatasetId();
      }
      String big = dev.rampart.trainer.Models.mlp(784, 20_000, 10, new org.nd4j.linalg.learning.config.Sgd(0.1), 1)
          .getLayerWiseConfigurations().toJson();
      JobSpec accepted = JobSpec.newBuilder().setModelJson(big).addDatasetIds(datasetId).setSteps(1).setBatchSize(64)
          .setNoiseMultiplier(1.0).build();
      // layer norm on the dense layer: JSON the parser accepts, refused by the trainer's own checks (which used to
      // run after the network was built)
      String withLayerNorm = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().list()
          .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(784).nOut(20_000).hasLayerNorm(true)
              .activation(org.nd4j.linalg.activations.Activation.RELU).build())
          .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
              org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nIn(20_000).nOut(10)
              .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
          .build().toJson();
      JobSpec refused = accepted.toBuilder().setModelJson(withLayerNorm).build();

      try (AttestedChannel o = AttestedChannel.open(null, target, owner, Clock.systemUTC(), Duration.ofSeconds(60))) {
        for (int i = 0; i < 20; i++) {
          listOnce(o); // warm-up
        }
        List<Double> idle = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          idle.add(listOnce(o));
        }
        // the flood: every scientist sends all its submissions at once, on its own session
        List<AttestedChannel> floods = new ArrayList<>();
        List<Future<Job>> calls = new ArrayList<>();
        for (KeyIdentity k : scientists) {
          AttestedChannel s = AttestedChannel.open(null, target, k, Clock.systemUTC(), Duration.ofSeconds(120));
          floods.add(s);
        }
        for (int i = 0; i < floodPerScientist; i++) {
          for (AttestedChannel s : floods) {
            calls.add(s.callAsync(Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(accepted).build()));
          }
        }
        List<Double> flood = new ArrayList<>();
        while (calls.stream().anyMatch(f -> !f.isComplete()) || flood.size() < 10) {
          flood.add(listOnce(o));
        }
        int ok = 0;
        int no = 0;
        for (Future<Job> f : calls) {
          try {
            floods.get(0).join(f, "SubmitJob");
            ok++;
          } catch (RpcException e) {
            no++;
          }
        }
        for (AttestedChannel s : floods) {
          s.close();
        }
        // refused submissions, one after another, and the resident memory they leave behind
        System.gc();
        long before = org.bytedeco.javacpp.Pointer.physicalBytes();
        try (AttestedChannel s = AttestedChannel.open(null, target, scientists.get(0), Clock.systemUTC(),
            Duration.ofSeconds(120))) {
          for (int i = 0; i < refusedSubmissions; i++) {
            try {
              s.call(Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(refused).build());
              throw new IllegalStateException("the refused model was accepted");
            } catch (RpcException e) {
              if (e.status() != io.vertx.grpc.common.GrpcStatus.INVALID_ARGUMENT) {
                throw e;
              }
            }
          }
        }
        long after = org.bytedeco.javacpp.Pointer.physicalBytes();
        return new Result(median(idle), p95(idle), median(flood), p95(flood), calls.size(), ok, no,
            refusedSubmissions, (after - before) / 1e6);
      }
    }
  }

  private static void enrol(AttestedChannel s, KeyIdentity k, String name, Role role) throws RpcException {
    try {
      s.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(role).setName(name)
          .setCertificateDer(ByteString.copyFrom(k.certificate().getEncoded())).build());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double listOnce(AttestedChannel o) throws RpcException {
    long t0 = System.nanoTime();
    o.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance());
    return (System.nanoTime() - t0) / 1e6;
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static double p95(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(Math.min(s.size() - 1, (int) Math.ceil(0.95 * s.size()) - 1));
  }
}
