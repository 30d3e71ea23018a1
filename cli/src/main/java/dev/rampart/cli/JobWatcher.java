package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Follows a job to its end: on a terminal, a progress bar on stderr (steps, the last DP loss and accuracy, ε
 * spent per dataset); otherwise (a log, CI) one plain line on stderr per change; then one summary line on stdout.
 * Exit 0 when the job trained (COMPLETED or BUDGET_EXHAUSTED), 1 when it was cancelled or failed.
 */
final class JobWatcher {
  private final PrintStream progress;
  private final boolean terminal;
  private ProgressBar bar;
  private long max;
  private String lastLine;

  /** @param terminal draw a bar (redrawn in place, cut to the terminal's width) rather than print lines */
  JobWatcher(PrintStream progress, boolean terminal) {
    this.progress = progress;
    this.terminal = terminal;
  }

  static int watch(RampartClient client, String jobId, Duration pollEvery, PrintWriter out)
      throws RpcException, InterruptedException {
    JobWatcher w = new JobWatcher(System.err, System.console() != null);
    Job last;
    try {
      last = client.watch(jobId, pollEvery, w::update);
    } finally {
      w.close();
    }
    out.println(summary(last));
    out.flush();
    return exitCode(last.getState());
  }

  static int exitCode(JobState state) {
    return state == JobState.COMPLETED || state == JobState.BUDGET_EXHAUSTED ? ExitCodes.SUCCESS : ExitCodes.NEGATIVE;
  }

  void update(Job job) {
    if (!terminal) {
      String extra = extraMessage(job);
      String line = "job " + shortJobId(job.getId()) + " step " + job.getStep() + "/" + job.getTotalSteps()
          + (extra.isEmpty() ? "" : " | " + extra);
      if (!line.equals(lastLine)) {
        progress.println(line);
        progress.flush();
        lastLine = line;
      }
      return;
    }
    long total = job.getTotalSteps() > 0 ? job.getTotalSteps() : -1; // -1: an indefinite bar until it is known
    if (bar == null) {
      bar = new ProgressBarBuilder().setTaskName("job " + shortJobId(job.getId())).setInitialMax(total)
          .setUnit(" steps", 1).setUpdateIntervalMillis(500)
          .setConsumer(new ConsoleProgressBarConsumer(progress)).build();
      max = total;
    } else if (total != max) {
      bar.maxHint(total);
      max = total;
    }
    bar.stepTo(job.getStep());
    bar.setExtraMessage(extraMessage(job));
  }

  /** The first 8 characters: enough to tell jobs apart, and accepted wherever a job id is. */
  private static String shortJobId(String id) {
    return id.length() <= 8 ? id : id.substring(0, 8);
  }

  void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }

  /** "loss 0.61 acc 0.79 | ε hospital-a 1.42/3 hospital-b 1.42/3" (and the state while not running). */
  static String extraMessage(Job job) {
    List<String> parts = new ArrayList<>();
    if (job.getState() != JobState.RUNNING) {
      parts.add(Formats.state(job.getState()));
    }
    if (job.hasLastMetrics()) {
      parts.add("loss " + Formats.fixed(job.getLastMetrics().getLoss(), 2) + " acc "
          + Formats.fixed(job.getLastMetrics().getAccuracy(), 2));
    }
    if (job.getSpentCount() > 0) {
      parts.add("ε " + Formats.spending(job.getSpentList()));
    }
    return String.join(" | ", parts);
  }

  /** "job 1b2c… completed after 1000/1000 steps (ε hospital-a 2.91/3): took every step". */
  static String summary(Job job) {
    StringBuilder s = new StringBuilder("job ").append(job.getId()).append(' ').append(Formats.state(job.getState()))
        .append(" after ").append(job.getStep()).append('/').append(job.getTotalSteps()).append(" steps");
    List<String> details = new ArrayList<>();
    if (job.hasLastMetrics()) {
      details.add("loss " + Formats.fixed(job.getLastMetrics().getLoss(), 2) + " acc "
          + Formats.fixed(job.getLastMetrics().getAccuracy(), 2));
    }
    if (job.getSpentCount() > 0) {
      details.add("ε " + Formats.spending(job.getSpentList()));
    }
    if (!details.isEmpty()) {
      s.append(" (").append(String.join(", ", details)).append(')');
    }
    if (!job.getMessage().isEmpty()) {
      s.append(": ").append(job.getMessage());
    }
    return s.toString();
  }
}
