package dev.rampart.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rampart} command: one entry point, a subcommand per capability. */
@Command(
    name = "rampart",
    mixinStandardHelpOptions = true,
    versionProvider = RampartCli.Version.class,
    description = {
      "Rampart: confidential multi-party machine learning.",
      "Exit codes: 0 success, 1 a negative answer (invalid evidence, budget exceeded, target unreachable),"
          + " 2 unusable input, 3 an internal error."
    },
    subcommands = {DemoCommand.class, AttestCommand.class, PrivacyCommand.class, TrainLocalCommand.class, BenchCommand.class,
      CoordinatorCommand.class, MeasureCommand.class, KeysCommand.class, AdminCommand.class, AgentCommand.class,
      DatasetsCommand.class, TrainCommand.class, JobsCommand.class, JobCommand.class, ModelCommand.class,
      EvaluateCommand.class, CommandLine.HelpCommand.class})
public final class RampartCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    // `rampart` alone: show what there is to run
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Builds the command line with Rampart's error handling: one line per error, the documented exit codes. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new RampartCli());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler(RampartCli::onBadArguments);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> onFailure(ex, commandLine));
    return cl;
  }

  /**
   * What a command did not handle itself: a typed error ({@link dev.rampart.common.RampartException}, whose message
   * is written for a person) in one line with its exit code; anything else is a bug, with its stack trace.
   */
  static int onFailure(Exception ex, CommandLine commandLine) {
    PrintWriter err = commandLine.getErr();
    if (ex instanceof dev.rampart.common.RampartException r) {
      err.println(commandLine.getCommandSpec().qualifiedName() + ": " + r.getMessage());
      return ExitCodes.of(r);
    }
    err.println("rampart: internal error: " + ex);
    ex.printStackTrace(err);
    return ExitCodes.INTERNAL;
  }

  private static int onBadArguments(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println(cl.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
    return ExitCodes.USAGE;
  }

  public static void main(String[] args) {
    Logs.quiet(); // one-shot commands: warnings only, one line each; daemons switch to stdout
    System.exit(commandLine().execute(args));
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = RampartCli.class.getPackage().getImplementationVersion();
      return new String[] {"rampart " + (v == null ? "(development build)" : v)};
    }
  }
}
