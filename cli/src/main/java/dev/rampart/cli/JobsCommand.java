package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.protocol.v1.Job;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code rampart jobs}: the caller's training jobs. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = {
    "Lists your training jobs (an admin: all; an owner: those on its datasets): id, state, steps taken of the",
    "total, ε spent on each dataset by all jobs so far over its budget, and when the job was submitted (UTC).",
    "Job ids may be given to other commands as any unique prefix of at least 8 characters."})
final class JobsCommand extends ScientistCommand {
  @Override
  int run(RampartClient client, PrintWriter out) throws Exception {
    List<Job> jobs = client.jobs();
    if (jobs.isEmpty()) {
      out.println("no jobs yet: submit one with rampart train");
      return ExitCodes.SUCCESS;
    }
    Formats.Table t = new Formats.Table("ID", "STATE", "STEP", "ε SPENT/BUDGET", "SUBMITTED").rightAligned(2);
    for (Job j : jobs) {
      t.row(j.getId(), Formats.state(j.getState()), j.getStep() + "/" + j.getTotalSteps(),
          j.getSpentCount() == 0 ? "-" : Formats.spending(j.getSpentList()), Formats.time(j.getSubmittedAtMillis()));
    }
    t.print(out);
    return ExitCodes.SUCCESS;
  }
}
