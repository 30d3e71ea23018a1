package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.protocol.v1.DatasetSpend;
import dev.rampart.protocol.v1.EvaluateResponse;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rampart evaluate}: a DP accuracy of a job's model on one dataset, paid from its budget. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, description = {
    "A differentially private accuracy of a job's model on one dataset you may evaluate on, charged to that",
    "dataset's budget: prints the accuracy ± the standard deviation of its noise, what was charged and what the",
    "dataset has spent of its budget."})
final class EvaluateCommand extends ScientistCommand {
  @Parameters(paramLabel = "JOB", description = "The job id, or a unique prefix of at least 8 characters.")
  String job;

  @Option(names = "--dataset", required = true, paramLabel = "ID",
      description = "The dataset: its id or a unique prefix of at least 8 hex digits.")
  String dataset;

  @Option(names = "--epsilon", paramLabel = "E", defaultValue = "0.5",
      description = "ε to spend on this answer, at the license's δ (default ${DEFAULT-VALUE}); more ε, less noise.")
  double epsilon;

  @Override
  void check() {
    checkJobId("JOB", job);
    checkDatasetId("--dataset", dataset);
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw Arguments.bad(spec, "--epsilon must be a finite number > 0, got " + epsilon);
    }
  }

  @Override
  int run(RampartClient client, PrintWriter out) throws Exception {
    String jobId = resolveJob(client, job);
    String datasetId = resolveDataset(client, dataset);
    EvaluateResponse r = client.evaluate(jobId, datasetId, epsilon);
    out.println(line(jobId, datasetId, r));
    return ExitCodes.SUCCESS;
  }

  /** "DP accuracy of job J on hospital-a: 0.8123 ± 0.0012 (1 s.d.; charged ε=0.1, dataset has spent 2.31 of 3)". */
  static String line(String jobId, String datasetId, EvaluateResponse r) {
    DatasetSpend s = r.getSpent();
    String name = s.getName().isEmpty() ? Formats.shortId(datasetId) : s.getName();
    return "DP accuracy of job " + jobId + " on " + name + ": " + Formats.fixed(r.getAccuracy(), 4) + " ± "
        + Formats.fixed(r.getNoiseStddev(), 4) + " (1 s.d.; charged ε=" + Formats.compact(r.getEpsilonCharged(), 4)
        + ", dataset has spent " + Formats.compact(s.getEpsilon(), 2) + " of "
        + Formats.compact(s.getBudgetEpsilon(), 2) + ")";
  }
}
