package dev.rampart.cli;

import java.util.concurrent.Callable;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code rampart bench …}: benchmarks that print figures measured in one run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks. Figures are medians/means of one run on this machine: quote them with the command.",
    subcommands = {BenchCommand.Jmh.class, BenchCommand.DpStep.class, BenchCommand.Upload.class, BenchCommand.Abuse.class})
final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "dp-step",
      mixinStandardHelpOptions = true,
      description = {
        "Non-private fit() steps and DP-SGD steps on the same Fashion-MNIST data in the same run, alternating,",
        "after warm-up. Prints: nonprivate_ex_per_s=<x> dp_ex_per_s=<y> ratio=<y/x> (medians)."
      })
  static final class DpStep implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "mlp", paramLabel = "mlp|lenet", description = "Model (default mlp).")
    String model;

    @Option(names = "--batch", defaultValue = "256", paramLabel = "B", description = "Batch size (default 256).")
    int batch;

    @Option(names = "--steps", defaultValue = "200", paramLabel = "N", description = "Measured rounds (default 200).")
    int steps;

    @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", paramLabel = "DIR",
        description = "IDX data (default: Debian's dataset-fashion-mnist).")
    java.nio.file.Path data;

    @Override
    public Integer call() throws Exception {
      if (!model.equals("mlp") && !model.equals("lenet")) {
        throw Arguments.bad(spec, "--model must be mlp or lenet, got '" + model + "'");
      }
      if (batch < 1 || steps < 1) {
        throw Arguments.bad(spec, "--batch and --steps must be positive");
      }
      dev.rampart.trainer.LabeledExamples train;
      try {
        train = dev.rampart.trainer.IdxReader.read(data, "train", 10);
      } catch (java.io.IOException e) {
        throw Arguments.bad(spec, "--data " + data + ": " + e.getMessage()
            + " (apt-get install -y dataset-fashion-mnist)");
      }
      dev.rampart.benchmarks.DpStepBenchmark.Result r =
          dev.rampart.benchmarks.DpStepBenchmark.run(train, model, batch, steps, Math.max(20, steps / 5));
      spec.commandLine().getOut().printf(java.util.Locale.ROOT, "nonprivate_ex_per_s=%.1f dp_ex_per_s=%.1f ratio=%.3f%n",
          r.nonPrivateExamplesPerSecond(), r.dpExamplesPerSecond(), r.ratio());
      return ExitCodes.SUCCESS;
    }
  }

  @Command(
      name = "upload",
      mixinStandardHelpOptions = true,
      description = {
        "Fashion-MNIST's training set (47 MB canonical) from a party agent into a coordinator's sealed storage over",
        "loopback, against raw TLS 1.3 on loopback and against the bare HTTP/2 transport under it (Vert.x, Rampart's",
        "TLS options, 1 MiB bodies, nothing stored), alternating, in one run. Prints (medians):",
        "bytes=<n> upload_mb_per_s=<x> raw_tls_mb_per_s=<y> ratio=<x/y>",
        "http2_tls_mb_per_s=<z> upload_vs_http2=<x/z>"
      })
  static final class Upload implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Measured rounds (default 5).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N",
        description = "Unmeasured rounds of every arm first, for the JIT (default 10).")
    int warmup;

    @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", paramLabel = "DIR",
        description = "IDX data (default: Debian's dataset-fashion-mnist).")
    java.nio.file.Path data;

    @Override
    public Integer call() throws Exception {
      if (rounds < 1) {
        throw Arguments.bad(spec, "--rounds must be positive");
      }
      if (warmup < 0) {
        throw Arguments.bad(spec, "--warmup must be 0 or more");
      }
      if (!java.nio.file.Files.isDirectory(data)) {
        throw Arguments.bad(spec, "--data " + data + " does not exist (apt-get install -y dataset-fashion-mnist)");
      }
      java.nio.file.Path work = java.nio.file.Files.createTempDirectory("rampart-bench-upload");
      try {
        dev.rampart.benchmarks.UploadBenchmark.Result r = dev.rampart.benchmarks.UploadBenchmark.run(data, rounds, warmup,
            work);
        spec.commandLine().getOut().printf(java.util.Locale.ROOT,
            "bytes=%d upload_mb_per_s=%.1f raw_tls_mb_per_s=%.1f ratio=%.3f%n", r.bytes(), r.uploadMbPerSecond(),
            r.rawTlsMbPerSecond(), r.ratio());
        spec.commandLine().getOut().printf(java.util.Locale.ROOT, "http2_tls_mb_per_s=%.1f upload_vs_http2=%.3f%n",
            r.http2TlsMbPerSecond(), r.ratioToHttp2());
        spec.commandLine().getOut().printf(java.util.Locale.ROOT,
            "streaming_mb_per_s=%.1f session_ms=%.0f streaming_vs_raw=%.3f%n", r.streamingMbPerSecond(),
            r.sessionMillis(), r.streamingMbPerSecond() / r.rawTlsMbPerSecond());
      } finally {
        java.nio.file.Files.deleteIfExists(work);
      }
      return ExitCodes.SUCCESS;
    }
  }

  @Command(
      name = "abuse",
      mixinStandardHelpOptions = true,
      description = {
        "The red team's resource attacks on an in-process coordinator, in one run: an owner's ListDatasets latency",
        "idle and while 3 scientists flood it with concurrent submissions of a 784-20000-10 model, then the resident",
        "memory after refused submissions of that model. Prints: idle_median_ms=<a> idle_p95_ms=<b>",
        "flood_median_ms=<c> flood_p95_ms=<d> ratio=<c/a> flood_calls=<n> accepted=<k> refused=<r>",
        "refused_submissions=<m> rss_growth_mb=<g>."
      })
  static final class Abuse implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--flood", defaultValue = "40", paramLabel = "N",
        description = "Concurrent submissions per scientist (default 40; 3 scientists).")
    int flood;

    @Option(names = "--refused", defaultValue = "240", paramLabel = "M",
        description = "Refused submissions whose memory is measured (default 240).")
    int refused;

    @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", paramLabel = "DIR",
        description = "IDX data (default: Debian's dataset-fashion-mnist).")
    java.nio.file.Path data;

    @Override
    public Integer call() throws Exception {
      if (flood < 1 || refused < 0) {
        throw Arguments.bad(spec, "--flood must be positive and --refused not negative");
      }
      if (!java.nio.file.Files.isDirectory(data)) {
        throw Arguments.bad(spec, "--data " + data + " does not exist (apt-get install -y dataset-fashion-mnist)");
      }
      java.nio.file.Path work = java.nio.file.Files.createTempDirectory("rampart-bench-abuse");
      try {
        dev.rampart.benchmarks.AbuseBenchmark.Result r = dev.rampart.benchmarks.AbuseBenchmark.run(data, flood,
            refused, work);
        spec.commandLine().getOut().printf(java.util.Locale.ROOT, "idle_median_ms=%.2f idle_p95_ms=%.2f"
            + " flood_median_ms=%.2f flood_p95_ms=%.2f ratio=%.2f flood_calls=%d accepted=%d refused=%d"
            + " refused_submissions=%d rss_growth_mb=%.0f%n", r.idleMedianMs(), r.idleP95Ms(), r.floodMedianMs(),
            r.floodP95Ms(), r.ratio(), r.floodCalls(), r.accepted(), r.refused(), r.refusedSubmissions(),
            r.rssGrowthMb());
      } finally {
        try (var files = java.nio.file.Files.walk(work)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      return ExitCodes.SUCCESS;
    }
  }

  @Command(
      name = "jmh",
      mixinStandardHelpOptions = true,
      description = {
        "Runs the JMH micro-benchmarks whose names match REGEX (default: all), in forked JVMs.",
        "Example: rampart bench jmh Accountant"
      })
  static final class Jmh implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REGEX", description = "Benchmark name filter.")
    String include = ".*";

    @Option(names = "--quick", description = "1 fork, 2 warm-up and 3 measurement iterations of 1 s (noisier).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write JMH's JSON results to FILE.")
    String json;

    @Override
    public Integer call() throws RunnerException {
      ChainedOptionsBuilder opts = new OptionsBuilder().include(include).shouldFailOnError(true);
      if (quick) {
        opts.forks(1).warmupIterations(2).measurementIterations(3)
            .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1));
      }
      if (json != null) {
        opts.resultFormat(ResultFormatType.JSON).result(json);
      }
      if (new Runner(opts.build()).run().isEmpty()) {
        spec.commandLine().getErr().println("rampart bench jmh: no benchmark matches '" + include + "'");
        return ExitCodes.USAGE;
      }
      return ExitCodes.SUCCESS;
    }
  }
}
