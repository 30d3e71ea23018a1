package dev.rampart.cli;

import dev.rampart.accountant.Conversion;
import dev.rampart.accountant.NoiseCalibration;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.RdpAccountant;
import dev.rampart.accountant.TargetUnreachableException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart privacy …}: the Rényi-DP accountant from the command line. */
@Command(
    name = "privacy",
    mixinStandardHelpOptions = true,
    description = "Differential-privacy arithmetic: ε of a training run, noise for a target ε, steps that fit.",
    subcommands = {
      PrivacyCommand.Epsilon.class,
      PrivacyCommand.Noise.class,
      PrivacyCommand.Steps.class
    })
final class PrivacyCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every accountant command shares (a picocli mixin). */
  static final class AccountantOptions {
    @Option(
        names = "--conversion",
        paramLabel = "improved|classic",
        description = "RDP to (ε, δ) conversion: improved (Balle et al. 2020, default) or classic (Mironov 2017).")
    Conversion conversion = Conversion.IMPROVED;

    @Option(
        names = "--orders",
        split = ",",
        paramLabel = "ALPHA",
        description = "Custom RDP orders, comma-separated and increasing (default 1.1..10.9 by 0.1, then 12..63).")
    double[] orders;

    RdpAccountant accountant(CommandSpec spec) {
      return Arguments.accountant(spec, conversion, orders);
    }
  }

  static void warnIfAtEdge(PrintWriter err, RdpAccountant accountant, PrivacyGuarantee g) {
    if (g.atGridEdge()) {
      err.println("warning: the optimal order " + g.order() + " is at the edge of the order grid ["
          + accountant.orders().smallest() + ", " + accountant.orders().largest()
          + "]; a wider grid (--orders) may give a smaller ε");
    }
  }

  @Command(
      name = "epsilon",
      mixinStandardHelpOptions = true,
      description = {
        "ε of T steps of DP-SGD (Poisson sampling at rate Q, noise multiplier S) at δ.",
        "Prints: epsilon=<double> order=<alpha>",
        "With --tsv: reads lines Q<TAB>S<TAB>T<TAB>D on standard input and prints one ε a line."
      })
  static final class Epsilon implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccountantOptions common;

    @Option(names = "--sample-rate", paramLabel = "Q", description = "Sampling rate q in [0, 1].")
    Double sampleRate;

    @Option(names = "--noise-multiplier", paramLabel = "S", description = "Noise multiplier σ >= 0.")
    Double noiseMultiplier;

    @Option(names = "--steps", paramLabel = "T", description = "Number of steps >= 0.")
    Long steps;

    @Option(names = "--delta", paramLabel = "D", description = "δ in (0, 1).")
    Double delta;

    @Option(names = "--tsv", description = "Batch mode: tab-separated q, σ, steps, δ per line on stdin.")
    boolean tsv;

    @Override
    public Integer call() throws IOException {
      RdpAccountant accountant = common.accountant(spec);
      if (tsv) {
        if (sampleRate != null || noiseMultiplier != null || steps != null || delta != null) {
          throw Arguments.bad(spec, "--tsv reads q, σ, steps and δ from standard input: drop "
              + "--sample-rate, --noise-multiplier, --steps and --delta");
        }
        return tsv(accountant);
      }
      double q = Arguments.sampleRate(spec, "--sample-rate", Arguments.required(spec, "--sample-rate=Q", sampleRate));
      double s = Arguments.noiseMultiplier(spec, "--noise-multiplier",
          Arguments.required(spec, "--noise-multiplier=S", noiseMultiplier));
      long t = Arguments.steps(spec, "--steps", Arguments.required(spec, "--steps=T", steps));
      double d = Arguments.delta(spec, "--delta", Arguments.required(spec, "--delta=D", delta));
      PrivacyGuarantee g = accountant.epsilon(q, s, t, d);
      spec.commandLine().getOut().println("epsilon=" + g.epsilon() + " order=" + g.order());
      warnIfAtEdge(spec.commandLine().getErr(), accountant, g);
      return ExitCodes.SUCCESS;
    }

    private int tsv(RdpAccountant accountant) throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        String[] f = line.split("\t", -1);
        if (f.length != 4) {
          out.flush();
          throw Arguments.bad(spec, "stdin line " + lineNo + ": expected 4 tab-separated fields"
              + " (q, sigma, steps, delta), got " + f.length);
        }
        String where = "stdin line " + lineNo + ": ";
        double q = Arguments.sampleRate(spec, where + "q", number(where + "q", f[0]));
        double s = Arguments.noiseMultiplier(spec, where + "sigma", number(where + "sigma", f[1]));
        long t = Arguments.steps(spec, where + "steps", integer(where + "steps", f[2]));
        double d = Arguments.delta(spec, where + "delta", number(where + "delta", f[3]));
        out.println(Double.toString(accountant.epsilon(q, s, t, d).epsilon()));
      }
      out.flush();
      return ExitCodes.SUCCESS;
    }

    private double number(String name, String text) {
      try {
        return Double.parseDouble(text.strip());
      } catch (NumberFormatException e) {
        spec.commandLine().getOut().flush();
        throw Arguments.bad(spec, name + ": '" + text + "' is not a number");
      }
    }

    private long integer(String name, String text) {
      try {
        return Long.parseLong(text.strip());
      } catch (NumberFormatException e) {
        spec.commandLine().getOut().flush();
        throw Arguments.bad(spec, name + ": '" + text + "' is not an integer");
      }
    }
  }

  @Command(
      name = "noise",
      mixinStandardHelpOptions = true,
      description = {
        "The smallest noise multiplier σ that meets a target ε at δ for T steps (or N epochs: T = ceil(N / Q)).",
        "Prints: noise_multiplier=<double> epsilon=<double>. Exit 1 if no σ reaches the target."
      })
  static final class Noise implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccountantOptions common;

    @Option(names = "--target-epsilon", required = true, paramLabel = "E", description = "Target ε.")
    double targetEpsilon;

    @Option(names = "--delta", required = true, paramLabel = "D", description = "δ in (0, 1).")
    double delta;

    @Option(names = "--sample-rate", required = true, paramLabel = "Q", description = "Sampling rate q in [0, 1].")
    double sampleRate;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Length length;

    static final class Length {
      @Option(names = "--steps", paramLabel = "T", description = "Number of steps.")
      Long steps;

      @Option(names = "--epochs", paramLabel = "N", description = "Number of epochs (steps = ceil(N / Q)).")
      Double epochs;
    }

    @Option(
        names = "--epsilon-tolerance",
        paramLabel = "TOL",
        description = "Stop when ε is within TOL below the target (default ${DEFAULT-VALUE}).")
    double tolerance = 1e-3;

    @Override
    public Integer call() {
      RdpAccountant accountant = common.accountant(spec);
      double target = Arguments.epsilon(spec, "--target-epsilon", targetEpsilon);
      double d = Arguments.delta(spec, "--delta", delta);
      double q = Arguments.sampleRate(spec, "--sample-rate", sampleRate);
      if (!(tolerance > 0.0) || Double.isInfinite(tolerance)) {
        throw Arguments.bad(spec, "--epsilon-tolerance must be a finite number > 0, got " + tolerance);
      }
      long t;
      if (length.steps != null) {
        t = Arguments.steps(spec, "--steps", length.steps);
      } else {
        double n = length.epochs;
        if (!(n >= 0.0) || Double.isInfinite(n)) {
          throw Arguments.bad(spec, "--epochs must be a finite number >= 0, got " + n);
        }
        if (q == 0.0) {
          t = 0;
        } else {
          try {
            t = dev.rampart.accountant.Segment.stepsForEpochs(n, q); // ceil(N / Q), as jobs and train-local
          } catch (IllegalArgumentException e) {
            throw Arguments.bad(spec, "--epochs " + n + " at --sample-rate " + q + ": " + e.getMessage());
          }
        }
      }
      try {
        NoiseCalibration c = accountant.calibrateNoise(q, t, target, d, tolerance);
        spec.commandLine().getOut().println(
            "noise_multiplier=" + c.noiseMultiplier() + " epsilon=" + c.guarantee().epsilon());
        warnIfAtEdge(spec.commandLine().getErr(), accountant, c.guarantee());
        return ExitCodes.SUCCESS;
      } catch (TargetUnreachableException e) {
        spec.commandLine().getErr().println("rampart privacy noise: " + e.getMessage());
        return ExitCodes.NEGATIVE;
      }
    }
  }

  @Command(
      name = "steps",
      mixinStandardHelpOptions = true,
      description = {
        "The most steps at sampling rate Q and noise multiplier S that keep ε within a budget at δ.",
        "Prints: steps=<n> epsilon=<ε after n steps>. Exit 1 if not even one step fits."
      })
  static final class Steps implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccountantOptions common;

    @Option(names = "--epsilon", required = true, paramLabel = "E", description = "The ε budget.")
    double epsilon;

    @Option(names = "--delta", required = true, paramLabel = "D", description = "δ in (0, 1).")
    double delta;

    @Option(names = "--sample-rate", required = true, paramLabel = "Q", description = "Sampling rate q in [0, 1].")
    double sampleRate;

    @Option(names = "--noise-multiplier", required = true, paramLabel = "S", description = "Noise multiplier σ >= 0.")
    double noiseMultiplier;

    @Override
    public Integer call() {
      RdpAccountant accountant = common.accountant(spec);
      double budget = Arguments.epsilon(spec, "--epsilon", epsilon);
      double d = Arguments.delta(spec, "--delta", delta);
      double q = Arguments.sampleRate(spec, "--sample-rate", sampleRate);
      double s = Arguments.noiseMultiplier(spec, "--noise-multiplier", noiseMultiplier);
      long n = accountant.maxSteps(q, s, budget, d);
      PrivacyGuarantee g = accountant.epsilon(q, s, n, d);
      spec.commandLine().getOut().println("steps=" + n + " epsilon=" + g.epsilon());
      return n > 0 ? ExitCodes.SUCCESS : ExitCodes.NEGATIVE;
    }
  }
}
