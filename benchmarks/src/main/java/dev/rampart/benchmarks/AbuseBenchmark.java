package dev.rampart.benchmarks;

import dev.rampart.agent.AgentConfig;
import dev.rampart.agent.PartyAgent;
import dev.rampart.agent.Uploader;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.Role;
import dev.rampart.protocol.v1.SubmitJobRequest;
import dev.rampart.protocol.v1.WeightRelease;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
    try (LocalCoordinator c = LocalCoordinator.start(dir, "abuse benchmark")) {
      AttestedChannel.Target target = c.target;
      KeyIdentity owner = KeyIdentity.generate("owner");
      List<KeyIdentity> scientists = new ArrayList<>();
      for (int i = 0; i < SCIENTISTS; i++) {
        scientists.add(KeyIdentity.generate("scientist-" + i));
      }
      c.enrol(Role.OWNER, owner);
      c.enrol(Role.SCIENTIST, scientists.toArray(new KeyIdentity[0]));
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
        return new Result(LocalCoordinator.median(idle), p95(idle), LocalCoordinator.median(flood), p95(flood),
            calls.size(), ok, no,
            refusedSubmissions, (after - before) / 1e6);
      }
    }
  }

  private static double listOnce(AttestedChannel o) throws RpcException {
    long t0 = System.nanoTime();
    o.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance());
    return (System.nanoTime() - t0) / 1e6;
  }

  static double p95(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    java.util.Collections.sort(s);
    return s.get(Math.min(s.size() - 1, (int) Math.ceil(0.95 * s.size()) - 1));
  }
}
