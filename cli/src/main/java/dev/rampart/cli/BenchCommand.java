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
    subcommands = {BenchCommand.Jmh.class})
final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
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
