package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.protocol.v1.Job;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rampart job watch|cancel ID}. */
@Command(name = "job", mixinStandardHelpOptions = true, description = "Follow or stop one training job.",
    subcommands = {JobCommand.Watch.class, JobCommand.Cancel.class})
final class JobCommand {

  @Command(name = "watch", mixinStandardHelpOptions = true, description = {
      "Follows a job until it stops: a progress bar on stderr with the steps taken, the last DP loss and accuracy",
      "and the ε spent on each dataset, then one summary line on stdout.",
      "Exit 0 when the job completed or stopped at a dataset's budget, 1 when it was cancelled or failed."})
  static final class Watch extends ScientistCommand {
    @Parameters(paramLabel = "ID", description = "The job id, or a unique prefix of at least 8 characters.")
    String id;

    @Option(names = "--poll", paramLabel = "SECONDS", defaultValue = "2",
        description = "Seconds between two looks at the job (default ${DEFAULT-VALUE}).")
    double pollSeconds;

    static Duration interval(ScientistCommand c, double seconds) {
      if (!(seconds >= 0.1 && seconds <= 3600)) {
        throw Arguments.bad(c.spec, "--poll must be in [0.1, 3600] seconds, got " + seconds);
      }
      return Duration.ofMillis(Math.round(seconds * 1000));
    }

    @Override
    void check() {
      checkJobId("ID", id);
      interval(this, pollSeconds);
    }

    @Override
    int run(RampartClient client, PrintWriter out) throws Exception {
      return JobWatcher.watch(client, resolveJob(client, id), interval(this, pollSeconds), out);
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = {
      "Stops a job. The steps it took stay charged to the datasets' budgets. Prints the job's state."})
  static final class Cancel extends ScientistCommand {
    @Parameters(paramLabel = "ID", description = "The job id, or a unique prefix of at least 8 characters.")
    String id;

    @Override
    void check() {
      checkJobId("ID", id);
    }

    @Override
    int run(RampartClient client, PrintWriter out) throws Exception {
      Job j = client.cancel(resolveJob(client, id));
      out.println("job " + j.getId() + " " + Formats.state(j.getState()) + " at step " + j.getStep() + "/"
          + j.getTotalSteps() + (j.getMessage().isEmpty() ? "" : ": " + j.getMessage()));
      return ExitCodes.SUCCESS;
    }
  }
}
