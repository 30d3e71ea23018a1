package dev.rampart.cli;

import dev.rampart.coordinator.Measurement;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code rampart measure}: the coordinator's measurement, for policy files. */
@Command(name = "measure", mixinStandardHelpOptions = true, description = {
    "Prints the coordinator's measurement: SHA-384 over this runnable artifact (rampart.jar and every jar of its",
    "class path). The build is reproducible, so rebuilding the same commit gives the same value: pin it in the",
    "'measurements' of a policy file."})
final class MeasureCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    spec.commandLine().getOut().println("measurement=" + HexFormat.of().formatHex(
        Measurement.ofRunningArtifact(RampartCli.class)));
    return ExitCodes.SUCCESS;
  }
}
