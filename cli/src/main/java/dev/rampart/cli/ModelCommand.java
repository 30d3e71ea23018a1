package dev.rampart.cli;

import dev.rampart.client.FetchResult;
import dev.rampart.client.ModelIntegrityException;
import dev.rampart.client.RampartClient;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rampart model fetch}: the trained weights, when the licenses release them. */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Write an example model configuration, or fetch a job's trained weights.",
    subcommands = {ModelCommand.Example.class, ModelCommand.Fetch.class})
final class ModelCommand {

  @Command(name = "example", mixinStandardHelpOptions = true, description = {
      "Prints a DL4J network configuration (JSON) that the coordinator accepts, to start from:",
      "  mlp:   FEATURES-HIDDEN-CLASSES, ReLU, softmax + cross-entropy;",
      "  lenet: a LeNet-5-size CNN for 28x28 grey images (FEATURES must be 784).",
      "Edit it (layer sizes, activations among relu/identity/tanh/sigmoid) and pass it to 'rampart train --model'."})
  static final class Example implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "mlp|lenet", description = "Which model.")
    String kind;

    @Option(names = "--features", defaultValue = "784", paramLabel = "N", description = "Inputs (default ${DEFAULT-VALUE}).")
    int features;

    @Option(names = "--classes", defaultValue = "10", paramLabel = "K", description = "Classes (default ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--hidden", defaultValue = "256", paramLabel = "H", description = "mlp: hidden units (default ${DEFAULT-VALUE}).")
    int hidden;

    @Override
    public Integer call() {
      if (features < 1 || features > 1_000_000 || classes < 2 || classes > 65_535 || hidden < 1 || hidden > 65_536) {
        throw Arguments.bad(spec, "--features must be 1-1000000, --classes 2-65535, --hidden 1-65536");
      }
      org.nd4j.linalg.learning.config.Sgd sgd = new org.nd4j.linalg.learning.config.Sgd(0.1);
      String json = switch (kind) {
        case "mlp" -> dev.rampart.trainer.Models.mlp(features, hidden, classes, sgd, 42).getLayerWiseConfigurations()
            .toJson();
        case "lenet" -> {
          if (features != 784) {
            throw Arguments.bad(spec, "lenet takes 28x28 images: --features must be 784");
          }
          yield dev.rampart.trainer.Models.lenet(28, 28, classes, sgd, 42).getLayerWiseConfigurations().toJson();
        }
        default -> throw Arguments.bad(spec, "the examples are mlp and lenet, got '" + kind + "'");
      };
      spec.commandLine().getOut().println(json);
      return ExitCodes.SUCCESS;
    }
  }

  @Command(name = "fetch", mixinStandardHelpOptions = true, description = {
      "Writes a job's trained weights to FILE when the intersection of its datasets' licenses releases them to",
      "you: checked against the SHA-256 the coordinator declares, then moved into place in one rename (FILE is",
      "either untouched or complete; mode 0600). When the owners must approve first, the first call asks them",
      "and every call says who has yet to decide; exit 1 and no file until all have approved."})
  static final class Fetch extends ScientistCommand {
    @Parameters(paramLabel = "JOB", description = "The job id, or a unique prefix of at least 8 characters.")
    String job;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the model file.")
    Path out;

    @Override
    void check() {
      checkJobId("JOB", job);
      Path dir = out.toAbsolutePath().getParent();
      if (Files.isDirectory(out)) {
        throw Arguments.bad(spec, "--out " + out + " is a directory; give a file name");
      }
      if (dir == null || !Files.isDirectory(dir)) {
        throw Arguments.bad(spec, "--out " + out + ": no directory " + dir + " to write into");
      }
    }

    @Override
    int run(RampartClient client, PrintWriter stdout) throws Exception {
      String id = resolveJob(client, job);
      FetchResult r;
      try {
        r = client.fetchModel(id, out);
      } catch (ModelIntegrityException e) {
        return error(ExitCodes.NEGATIVE, e.getMessage());
      } catch (IOException e) {
        return error(ExitCodes.USAGE, "--out " + out + ": " + e.getMessage());
      }
      if (r.released()) {
        stdout.println("model of job " + id + " written to " + out + " (" + r.bytes() + " bytes, sha256 "
            + r.sha256() + ")");
        return ExitCodes.SUCCESS;
      }
      stdout.println(notReleased(id, r));
      return ExitCodes.NEGATIVE;
    }

    static String notReleased(String jobId, FetchResult r) {
      ApprovalRequest a = r.approval();
      if (a == null) {
        return "weights of job " + jobId + " are not released to you (weight release: "
            + Formats.weightRelease(r.license().getWeightRelease()) + ")";
      }
      if (r.denied()) {
        String why = r.denials().stream()
            .map(d -> name(d) + (d.getReason().isEmpty() ? "" : " (\"" + d.getReason() + "\")"))
            .collect(Collectors.joining(", "));
        return "weights of job " + jobId + " were denied release by " + (why.isEmpty() ? "an owner" : why)
            + " (request " + a.getId() + ")";
      }
      if (a.getState() == ApprovalState.PENDING) {
        // a coordinator that sends no names leaves the owners' fingerprints
        String owners = r.pendingOwnerNames().stream().map(n -> n.matches("[0-9a-f]{64}") ? Formats.shortId(n) : n)
            .collect(Collectors.joining(", "));
        return "weights of job " + jobId + " need approval: pending from " + owners + " (request " + a.getId() + ")";
      }
      return "weights of job " + jobId + " are not released yet (request " + a.getId() + " is "
          + a.getState().name().toLowerCase(Locale.ROOT) + "): fetch again";
    }

    private static String name(ApprovalDecision d) {
      return d.getOwnerName().isEmpty() ? Formats.shortId(d.getOwnerFingerprint()) : d.getOwnerName();
    }
  }
}
