package dev.rampart.cli;

import dev.rampart.client.RampartClient;
import dev.rampart.protocol.RpcException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Shared by the data scientist's commands: local checks first (bad input exits 2 before anything is sent), then
 * an attested session, then the command; a refused or failed call prints {@code rampart <cmd>: <message>}
 * and exits with {@link ExitCodes#of}.
 */
abstract class ScientistCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConnectionOptions connection;

  /** Checks what can be checked without the coordinator; throws {@link Arguments#bad} on bad input. */
  void check() {}

  abstract int run(RampartClient client, PrintWriter out) throws Exception;

  @Override
  public Integer call() throws Exception {
    check();
    try (RampartClient client = RampartClient.connect(connection.open(spec))) {
      return run(client, spec.commandLine().getOut());
    } catch (RpcException e) {
      return failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(ExitCodes.UNAVAILABLE, "interrupted; the job goes on without you watching");
    }
  }

  int failed(RpcException e) {
    return error(ExitCodes.of(e), e.getMessage());
  }

  /** One line on stderr, named after the command. */
  int error(int exitCode, String message) {
    spec.commandLine().getErr().println(spec.qualifiedName() + ": " + message);
    return exitCode;
  }

  String resolveJob(RampartClient client, String given) throws RpcException {
    try {
      return client.resolveJobId(given);
    } catch (IllegalArgumentException e) {
      throw Arguments.bad(spec, e.getMessage());
    }
  }

  String resolveDataset(RampartClient client, String given) throws RpcException {
    try {
      return client.resolveDatasetId(given);
    } catch (IllegalArgumentException e) {
      throw Arguments.bad(spec, e.getMessage());
    }
  }

  /** A job id as typed: the full id or at least {@value RampartClient#MIN_JOB_PREFIX} characters of it. */
  void checkJobId(String name, String given) {
    if (given == null || given.strip().length() < RampartClient.MIN_JOB_PREFIX) {
      throw Arguments.bad(spec, name + " '" + given + "' is too short: give the job id or at least "
          + RampartClient.MIN_JOB_PREFIX + " of its first characters (rampart jobs)");
    }
  }

  /** A dataset id as typed: 8 to 64 hex digits (a unique prefix), maybe with a table's trailing '…'. */
  void checkDatasetId(String name, String given) {
    String g = given == null ? "" : given.strip();
    if (g.endsWith("…")) {
      g = g.substring(0, g.length() - 1);
    }
    if (!g.matches("[0-9a-fA-F]{" + RampartClient.MIN_DATASET_PREFIX + ",64}")) {
      throw Arguments.bad(spec, name + " '" + given + "' is not a dataset id: give the 64 hex digits or at least "
          + RampartClient.MIN_DATASET_PREFIX + " of the first ones (rampart datasets)");
    }
  }
}
