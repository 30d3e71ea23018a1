package dev.rampart.cli;

import dev.rampart.agent.AgentConfig;
import dev.rampart.agent.AuditFiles;
import dev.rampart.agent.PartyAgent;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.client.FetchResult;
import dev.rampart.client.RampartClient;
import dev.rampart.client.TrainRequest;
import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.coordinator.Measurement;
import dev.rampart.journal.JournalReport;
import dev.rampart.journal.JournalVerifier;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.DatasetInfo;
import dev.rampart.protocol.v1.DatasetSpend;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.Role;
import dev.rampart.trainer.DpSgdTrainer;
import dev.rampart.trainer.LabeledExamples;
import dev.rampart.trainer.ModelFile;
import dev.rampart.trainer.Models;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.logging.FileHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.nd4j.linalg.learning.config.Sgd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rampart demo}: the whole product on one machine, over real sockets: a coordinator (simulated TEE), two
 * hospitals' party agents each holding half of Fashion-MNIST's training set, a data scientist who trains an MLP with
 * DP-SGD across both, owners who approve the weight release, a local evaluation on the test set, and the audit
 * trail.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = {
    "Runs the whole of Rampart on this machine: coordinator (SIMULATED TEE), two hospitals (party agents) with half of"
        + " Fashion-MNIST each, a data scientist training an MLP with DP-SGD (ε ≤ 3 per hospital), owners approving"
        + " the weight release, a test-set evaluation and the audit trail.",
    "Ends with: final test_accuracy=<x> epsilon[hospital-a]=<e> epsilon[hospital-b]=<e>"})
final class DemoCommand implements Callable<Integer> {
  static final Path DEFAULT_DATA = Path.of("/usr/share/datasets/fashion-mnist");
  private static final String[] FILES = {
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
  };

  @Spec CommandSpec spec;

  @Option(names = "--workdir", paramLabel = "DIR",
      description = "Where the coordinator's state, the keys, agent configurations and the model go (default: a new"
          + " temporary directory, kept for inspection).")
  Path workdir;

  @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST's IDX files (default ${DEFAULT-VALUE}).")
  Path data = DEFAULT_DATA;

  @Option(names = "--epochs", defaultValue = "15", paramLabel = "N", description = "Training epochs (default ${DEFAULT-VALUE}).")
  double epochs;

  @Option(names = "--epsilon", defaultValue = "3", paramLabel = "E",
      description = "Each hospital's budget, and the job's target ε (default ${DEFAULT-VALUE}).")
  double epsilon;

  @Option(names = "--rows-per-hospital", defaultValue = "30000", paramLabel = "N",
      description = "Rows each hospital holds (default ${DEFAULT-VALUE}: half the training set each).")
  int rowsPerHospital;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    for (String f : FILES) {
      if (!Files.isRegularFile(data.resolve(f)) && !Files.isRegularFile(data.resolve(f.replace(".gz", "")))) {
        // either form is read: IdxSource takes gzipped and plain IDX
        spec.commandLine().getErr().println("rampart demo: Fashion-MNIST is not installed (" + data.resolve(f)
            + " is missing). Install it with: apt-get install -y dataset-fashion-mnist");
        return ExitCodes.USAGE;
      }
    }
    if (rowsPerHospital < 100 || rowsPerHospital > 30000) {
      throw Arguments.bad(spec, "--rows-per-hospital must be in [100, 30000]");
    }
    if (!(epochs > 0) || !(epsilon > 0)) {
      throw Arguments.bad(spec, "--epochs and --epsilon must be > 0");
    }
    long t0 = System.nanoTime();
    Path dir = workdir != null ? workdir : Files.createTempDirectory("rampart-demo-");
    Files.createDirectories(dir);
    Path log = dir.resolve("coordinator.log");
    logTo(log);
    say("working in " + dir + " (coordinator log: " + log + ")");

    // ---- the operator starts a coordinator ----
    byte[] measurement = measurement();
    KeyIdentity admin = key(dir, "admin");
    Path state = dir.resolve("coordinator-state");
    try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder(state, measurement)
        .listen("127.0.0.1", 0).adminCertificate(dir.resolve("keys/admin/cert.pem")).build())) {
      say("coordinator listening on 127.0.0.1:" + coordinator.port() + " in a SIMULATED TEE (insecure: for"
          + " development), measurement " + hex(measurement).substring(0, 16) + "…");
      Path policyFile = dir.resolve("policy.json");
      Files.writeString(policyFile, SimulatedTee.loadOrCreate(state.resolve("simulated-tee")).policyJson(measurement));
      AttestationPolicy policy = PartyAgent.readPolicy(policyFile);
      AttestedChannel.Target target = new AttestedChannel.Target("127.0.0.1", coordinator.port(), policy);
      say("policy written to " + policyFile + " (what owners pin: the simulated root and the measurement)");

      // ---- the admin enrols two hospitals and a data scientist ----
      KeyIdentity hospitalA = key(dir, "hospital-a");
      KeyIdentity hospitalB = key(dir, "hospital-b");
      KeyIdentity alice = key(dir, "alice");
      try (AttestedChannel c = AttestedChannel.open(null, target, admin, Clock.systemUTC(), Duration.ofSeconds(60))) {
        enrol(c, hospitalA, "hospital-a", Role.OWNER);
        enrol(c, hospitalB, "hospital-b", Role.OWNER);
        enrol(c, alice, "alice", Role.SCIENTIST);
      }
      say("admin enrolled hospital-a and hospital-b (owners) and alice (scientist)");

      // ---- each hospital's party agent attests the coordinator and uploads its half ----
      List<String> datasetIds = new ArrayList<>();
      Map<String, PartyAgent> agents = new TreeMap<>();
      try {
        for (int h = 0; h < 2; h++) {
          String name = h == 0 ? "hospital-a" : "hospital-b";
          Path config = agentConfig(dir, name, policyFile, coordinator.port(), h * 30000L,
              h * 30000L + rowsPerHospital);
          AgentConfig c = AgentConfig.read(config);
          PartyAgent agent = PartyAgent.of(c, Clock.systemUTC());
          agents.put(name, agent);
          var results = agent.publish(c, dev.rampart.agent.Uploader.Progress.NONE);
          DatasetInfo info = results.get(0).dataset();
          datasetIds.add(info.getManifest().getDatasetId());
          say(name + ": attested the coordinator, uploaded " + info.getManifest().getRows() + " rows as dataset "
              + info.getManifest().getDatasetId().substring(0, 16) + "… (sealed; license: alice may train, ε ≤ "
              + fmt(epsilon) + " at δ=1e-5, weights after owner approval)");
        }

        // ---- alice trains an MLP across both datasets ----
        Path modelJson = dir.resolve("mlp.json");
        Files.writeString(modelJson, Models.mlp(784, 256, 10, new Sgd(1.0), 1).getLayerWiseConfigurations().toJson());
        Job finished;
        String jobId;
        try (RampartClient client = RampartClient.connect(target, alice)) {
          say("alice sees " + client.datasets().size() + " datasets; submits " + modelJson.getFileName()
              + " (784-256-10 MLP) for " + fmt(epochs) + " epochs at target ε=" + fmt(epsilon));
          Job job = client.train(TrainRequest.builder().model(modelJson).datasets(datasetIds).epochs(epochs)
              .batchSize(256).clipNorm(1.0).targetEpsilon(epsilon).delta(1e-5).optimizer("sgd").learningRate(1.0)
              .seed(1).build());
          jobId = job.getId();
          say(String.format(Locale.ROOT, "job %s: %d steps, q=%.5f, σ=%.4f (calibrated)", jobId, job.getTotalSteps(),
              job.getSampleRate(), job.getNoiseMultiplier()));
          long[] lastShown = {-1};
          finished = client.watch(jobId, Duration.ofSeconds(1), j -> {
            if (j.hasLastMetrics() && j.getLastMetrics().getStep() != lastShown[0]
                && j.getLastMetrics().getStep() % (10L * j.getSpec().getMetricsEvery()) == 0) {
              lastShown[0] = j.getLastMetrics().getStep();
              say(String.format(Locale.ROOT, "  step %d/%d  DP loss %.3f  DP accuracy %.3f  %s", j.getStep(),
                  j.getTotalSteps(), j.getLastMetrics().getLoss(), j.getLastMetrics().getAccuracy(), spent(j)));
            }
          });
          say("job " + finished.getState() + ": " + finished.getMessage() + "; " + spent(finished));
          if (finished.getState() != JobState.COMPLETED && finished.getState() != JobState.BUDGET_EXHAUSTED) {
            return ExitCodes.NEGATIVE;
          }

          // ---- the weights need both owners' approval ----
          Path modelFile = dir.resolve("model.rmodel");
          FetchResult first = client.fetchModel(jobId, modelFile);
          if (first.released()) {
            throw new IllegalStateException("the weights were released without the owners' approval");
          }
          say("alice asks for the weights: approval pending from " + String.join(", ", first.pendingOwnerNames()));
          for (Map.Entry<String, PartyAgent> a : agents.entrySet()) {
            for (ApprovalRequest r : a.getValue().approvals(true)) {
              if (r.getSubject().equals(jobId)) {
                a.getValue().decide(r.getId(), true, "approved automatically by rampart demo");
                say(a.getKey() + " APPROVES the release of job " + jobId + "'s weights to alice (automatic in the"
                    + " demo; a real owner runs 'rampart agent approve')");
              }
            }
          }
          FetchResult second = client.fetchModel(jobId, modelFile);
          if (!second.released()) {
            throw new IllegalStateException("the weights were not released after both approvals");
          }
          say("alice fetched the weights: " + modelFile + " (" + Files.size(modelFile) + " bytes)");

          // ---- alice evaluates them on the public test set, locally ----
          double accuracy = DpSgdTrainer.accuracy(ModelFile.read(Files.readAllBytes(modelFile)), testSet());
          say(String.format(Locale.ROOT, "test accuracy on Fashion-MNIST's 10000 test images (public, local): %.4f",
              accuracy));

          // ---- hospital-a audits ----
          PartyAgent a = agents.get("hospital-a");
          var entries = AuditFiles.fromProto(a.exportJournal());
          JournalReport report = JournalVerifier.verify(entries, policy);
          Map<String, Integer> types = new TreeMap<>();
          entries.stream().filter(e -> !e.isRedacted()).forEach(e -> types.merge(e.type(), 1, Integer::sum));
          say("hospital-a's audit trail: " + entries.size() + " entries, signatures and chain "
              + (report.ok() ? "VERIFIED" : "FAILED: " + report.problems()) + " against its policy; visible to it: "
              + types);
          if (!report.ok()) {
            return ExitCodes.NEGATIVE;
          }
          Job end = client.job(jobId);
          double epsA = epsilonOf(end, datasetIds.get(0));
          double epsB = epsilonOf(end, datasetIds.get(1));
          say("done in " + (System.nanoTime() - t0) / 1_000_000_000 + " s; everything is under " + dir);
          out.println(String.format(Locale.ROOT, "final test_accuracy=%.4f epsilon[hospital-a]=%.4f"
              + " epsilon[hospital-b]=%.4f", accuracy, epsA, epsB));
          out.flush();
        }
      } finally {
        agents.values().forEach(PartyAgent::close);
      }
    }
    return ExitCodes.SUCCESS;
  }

  /** One of the four IDX files, gzipped as Debian ships them or not. */
  private Path file(int i) {
    Path gz = data.resolve(FILES[i]);
    return Files.isRegularFile(gz) ? gz : data.resolve(FILES[i].replace(".gz", ""));
  }

  private void say(String line) {
    out.println("==> " + line);
    out.flush();
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  private static String spent(Job j) {
    StringBuilder s = new StringBuilder("ε spent:");
    for (DatasetSpend d : j.getSpentList()) {
      s.append(String.format(Locale.ROOT, " %s %.3f/%s", d.getName(), d.getEpsilon(), fmt(d.getBudgetEpsilon())));
    }
    return s.toString();
  }

  private static double epsilonOf(Job j, String datasetId) {
    return j.getSpentList().stream().filter(d -> d.getDatasetId().equals(datasetId)).findFirst().orElseThrow()
        .getEpsilon();
  }

  /** The running jar's measurement, as `coordinator start` computes it; a stand-in when run from classes. */
  private byte[] measurement() throws Exception {
    try {
      return Measurement.ofRunningArtifact(RampartCli.class);
    } catch (IOException e) {
      say("not running from rampart.jar: measuring a stand-in (development only)");
      return MessageDigest.getInstance("SHA-384").digest("rampart demo from classes".getBytes(StandardCharsets.UTF_8));
    }
  }

  private static KeyIdentity key(Path dir, String name) throws IOException {
    KeyIdentity k = KeyIdentity.generate(name);
    k.save(dir.resolve("keys").resolve(name));
    return k;
  }

  private static void enrol(AttestedChannel c, KeyIdentity who, String name, Role role) throws Exception {
    c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(role).setName(name)
        .setCertificateDer(com.google.protobuf.ByteString.copyFrom(who.certificate().getEncoded())).build());
  }

  /** An agent.yaml as a hospital would write it. */
  private Path agentConfig(Path dir, String name, Path policy, int port, long from, long to) throws IOException {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, String.join("\n",
        "# " + name + "'s party agent (written by rampart demo; see docs/party-agent.md)",
        "coordinator: 127.0.0.1:" + port,
        "policy: " + policy.toAbsolutePath(),
        "identity: " + dir.resolve("keys").resolve(name).toAbsolutePath(),
        "datasets:",
        "  - name: " + name + "-fashion",
        "    idx:",
        "      images: " + file(0).toAbsolutePath(),
        "      labels: " + file(1).toAbsolutePath(),
        "      classes: 10",
        "      from: " + from,
        "      to: " + to,
        "    license:",
        "      listers: [alice]",
        "      trainers: [alice]",
        "      evaluators: [alice]",
        "      epsilon: " + epsilon,
        "      delta: 1.0e-5",
        "      weightRelease: after-owner-approval",
        "      releaseTo: [alice]",
        ""));
    return file;
  }

  private LabeledExamples testSet() throws Exception {
    return dev.rampart.trainer.IdxReader.read(file(2), file(3), 10);
  }

  private static void logTo(Path file) throws IOException {
    Logger root = Logger.getLogger("");
    for (var h : root.getHandlers()) {
      root.removeHandler(h);
    }
    FileHandler fh = new FileHandler(file.toString(), true);
    fh.setFormatter(new SimpleFormatter());
    fh.setLevel(Level.INFO);
    root.addHandler(fh);
    root.setLevel(Level.INFO);
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
    Logger.getLogger("io.vertx").setLevel(Level.WARNING);
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }
}
