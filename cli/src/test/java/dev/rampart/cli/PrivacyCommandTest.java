package dev.rampart.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.accountant.Conversion;
import dev.rampart.accountant.Orders;
import dev.rampart.accountant.RdpAccountant;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PrivacyCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = RampartCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private int runWithStdin(String stdin, String... args) {
    InputStream saved = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      return run(args);
    } finally {
      System.setIn(saved);
    }
  }

  @Test
  void epsilon_printsTheAccountantsValueExactly() {
    assertThat(run("privacy", "epsilon", "--sample-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2250",
        "--delta", "1e-5")).isEqualTo(0);
    double expected = RdpAccountant.defaults().epsilon(0.04, 1.5, 2250, 1e-5).epsilon();
    assertThat(out.toString()).isEqualTo("epsilon=" + expected + " order=3.9" + System.lineSeparator());
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void epsilon_classicConversion_isSelectable() {
    assertThat(run("privacy", "epsilon", "--sample-rate", "0.01", "--noise-multiplier", "1.1", "--steps", "1000",
        "--delta", "1e-5", "--conversion", "classic")).isEqualTo(0);
    double expected = RdpAccountant.of(Orders.defaults(), Conversion.CLASSIC).epsilon(0.01, 1.1, 1000, 1e-5).epsilon();
    assertThat(out.toString()).startsWith("epsilon=" + expected + " order=");
  }

  @Test
  void tsv_writesOneDoubleToStringPerLine_inOrder() {
    String input = "0.04\t1.5\t2250\t1e-5\n0.001\t4\t100000\t1e-6\n0\t1\t5\t1e-5\n0.2\t0\t3\t1e-5\n";
    assertThat(runWithStdin(input, "privacy", "epsilon", "--tsv")).isEqualTo(0);
    RdpAccountant a = RdpAccountant.defaults();
    String nl = System.lineSeparator();
    assertThat(out.toString()).isEqualTo(
        a.epsilon(0.04, 1.5, 2250, 1e-5).epsilon() + nl
            + a.epsilon(0.001, 4, 100_000, 1e-6).epsilon() + nl
            + "0.0" + nl
            + "Infinity" + nl);
  }

  @Test
  void tsv_badLine_exits2NamingLineAndField_afterTheGoodLines() {
    assertThat(runWithStdin("0.1\t1\t10\t1e-5\n0.1\tx\t10\t1e-5\n", "privacy", "epsilon", "--tsv")).isEqualTo(2);
    assertThat(out.toString().lines()).hasSize(1);
    assertThat(err.toString().trim()).contains("line 2").contains("sigma").doesNotContain("\n");
  }

  @Test
  void tsv_refusesTheSingleRunOptions() {
    assertThat(runWithStdin("", "privacy", "epsilon", "--tsv", "--steps", "3")).isEqualTo(2);
    assertThat(err.toString()).contains("--tsv");
  }

  @Test
  void badArguments_exit2WithOneLineNamingTheArgument() {
    String[][] cases = {
      {"--sample-rate", "-0.5"}, {"--sample-rate", "NaN"}, {"--noise-multiplier", "-2"},
      {"--steps", "-1"}, {"--delta", "0"}, {"--delta", "2"}, {"--delta", "ten"},
    };
    for (String[] c : cases) {
      StringWriter fresh = new StringWriter();
      CommandLine cl = RampartCli.commandLine();
      cl.setOut(new PrintWriter(new StringWriter(), true));
      cl.setErr(new PrintWriter(fresh, true));
      String[] args = {"privacy", "epsilon", "--sample-rate", "0.1", "--noise-multiplier", "1", "--steps", "10",
          "--delta", "1e-5"};
      for (int k = 0; k < args.length; k++) {
        if (args[k].equals(c[0])) {
          args[k + 1] = c[1];
        }
      }
      assertThat(cl.execute(args)).as(String.join(" ", c)).isEqualTo(2);
      assertThat(fresh.toString().trim()).as(String.join(" ", c)).contains(c[0]).doesNotContain("\n");
    }
  }

  @Test
  void noise_epochsMeanCeilOfNOverQ_theRuleJobsAndTrainLocalUse() {
    // 0.5 / 0.03 = 16.67 epochs' worth: 17 steps (floor would give 16 and under-state the run)
    assertThat(run("privacy", "noise", "--target-epsilon", "2", "--delta", "1e-5", "--sample-rate", "0.03",
        "--epochs", "0.5", "--epsilon-tolerance", "1e-6")).isEqualTo(0);
    String[] parts = out.toString().trim().split(" ");
    double sigma = Double.parseDouble(parts[0].substring("noise_multiplier=".length()));
    double epsilon = Double.parseDouble(parts[1].substring("epsilon=".length()));
    assertThat(epsilon).isBetween(2 - 1e-6, 2.0);
    assertThat(RdpAccountant.defaults().epsilon(0.03, sigma, 17, 1e-5).epsilon()).isEqualTo(epsilon);
    assertThat(dev.rampart.accountant.Segment.stepsForEpochs(0.5, 0.03)).isEqualTo(17);
  }

  @Test
  void noise_unreachableTarget_exits1() {
    assertThat(run("privacy", "noise", "--target-epsilon", "0.01", "--delta", "1e-5", "--sample-rate", "0.1",
        "--steps", "10")).isEqualTo(1);
    assertThat(err.toString()).contains("unreachable");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void steps_printsTheLastStepThatFits() {
    assertThat(run("privacy", "steps", "--epsilon", "3", "--delta", "1e-5", "--sample-rate", "0.01",
        "--noise-multiplier", "1.1")).isEqualTo(0);
    long n = RdpAccountant.defaults().maxSteps(0.01, 1.1, 3, 1e-5);
    assertThat(out.toString()).startsWith("steps=" + n + " epsilon=");
  }

  @Test
  void help_listsTheCommands() {
    assertThat(run("--help")).isEqualTo(0);
    assertThat(out.toString()).contains("privacy").contains("bench");
    assertThat(run("privacy", "--help")).isEqualTo(0);
    assertThat(out.toString()).contains("epsilon").contains("noise").contains("steps");
  }
}
