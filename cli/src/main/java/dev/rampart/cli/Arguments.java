package dev.rampart.cli;

import dev.rampart.accountant.Conversion;
import dev.rampart.accountant.Orders;
import dev.rampart.accountant.RdpAccountant;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Range checks shared by commands; each failure names the argument and exits 2. */
final class Arguments {
  private Arguments() {}

  static CommandLine.ParameterException bad(CommandSpec spec, String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  static double sampleRate(CommandSpec spec, String name, double q) {
    if (!(q >= 0.0 && q <= 1.0)) {
      throw bad(spec, name + " must be in [0, 1], got " + q);
    }
    return q;
  }

  static double noiseMultiplier(CommandSpec spec, String name, double sigma) {
    if (!(sigma >= 0.0)) {
      throw bad(spec, name + " must be >= 0, got " + sigma);
    }
    return sigma;
  }

  static double delta(CommandSpec spec, String name, double delta) {
    if (!(delta > 0.0 && delta < 1.0)) {
      throw bad(spec, name + " must be in (0, 1), got " + delta);
    }
    return delta;
  }

  static long steps(CommandSpec spec, String name, long steps) {
    if (steps < 0) {
      throw bad(spec, name + " must be >= 0, got " + steps);
    }
    return steps;
  }

  static double epsilon(CommandSpec spec, String name, double epsilon) {
    if (!(epsilon >= 0.0) || Double.isInfinite(epsilon)) {
      throw bad(spec, name + " must be a finite number >= 0, got " + epsilon);
    }
    return epsilon;
  }

  static <T> T required(CommandSpec spec, String name, T value) {
    if (value == null) {
      throw bad(spec, "Missing required option: '" + name + "'");
    }
    return value;
  }

  static RdpAccountant accountant(CommandSpec spec, Conversion conversion, double[] orders) {
    if (orders == null) {
      return conversion == Conversion.IMPROVED
          ? RdpAccountant.defaults()
          : RdpAccountant.of(Orders.defaults(), conversion);
    }
    try {
      return RdpAccountant.of(Orders.of(orders), conversion);
    } catch (IllegalArgumentException e) {
      throw bad(spec, "--orders: " + e.getMessage());
    }
  }
}
