package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.protocol.v1.DatasetInfo;
import dev.rampart.protocol.v1.DatasetManifest;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rampart datasets}: what the caller may see, with what budget left. */
@Command(name = "datasets", mixinStandardHelpOptions = true, description = {
    "Lists the datasets whose licenses let you see them: id, name, owner, shape, ε spent by all jobs so far",
    "over the license's budget, and whether trained weights may leave. Ids are shortened unless --full-ids;",
    "other commands take any unique prefix of at least 8 hex digits."})
final class DatasetsCommand extends ScientistCommand {
  @Option(names = "--full-ids", description = "Show the whole 64-digit ids.") boolean fullIds;

  @Override
  int run(RampartClient client, PrintWriter out) throws Exception {
    List<DatasetInfo> datasets = client.datasets();
    if (datasets.isEmpty()) {
      out.println("no datasets are visible to " + client.principal().getName()
          + ": an owner must name you in a license (listers) first");
      return ExitCodes.SUCCESS;
    }
    Formats.Table t = new Formats.Table("ID", "NAME", "OWNER", "ROWS", "FEATURES", "CLASSES", "ε SPENT/BUDGET",
        "WEIGHT RELEASE").rightAligned(3, 4, 5, 6);
    for (DatasetInfo d : datasets) {
      DatasetManifest m = d.getManifest();
      t.row(fullIds ? m.getDatasetId() : Formats.shortId(m.getDatasetId()), m.getName(),
          d.getOwnerName().isEmpty() ? Formats.shortId(d.getOwnerFingerprint()) : d.getOwnerName(), m.getRows(),
          m.getFeatures(), m.getClasses(), Formats.spent(d.getEpsilonSpent(), d.getLicense().getEpsilon()),
          Formats.weightRelease(d.getLicense().getWeightRelease()));
    }
    t.print(out);
    return ExitCodes.SUCCESS;
  }
}
