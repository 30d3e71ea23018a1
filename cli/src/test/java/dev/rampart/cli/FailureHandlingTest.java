package dev.rampart.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.protocol.RpcException;
import dev.rampart.trainer.ModelValidationException;
import io.vertx.grpc.common.GrpcStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What the CLI prints for an error no command handled: typed errors in one line, bugs with their trace. */
class FailureHandlingTest {
  private final StringWriter err = new StringWriter();

  private int fail(Exception e) {
    CommandLine cl = RampartCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return RampartCli.onFailure(e, cl.getSubcommands().get("privacy"));
  }

  @Test
  void aTypedErrorIsOneLineWithItsExitCode() {
    assertThat(fail(new ModelValidationException(List.of("layer 0 (LSTM) is not supported", "no output layer"))))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).isEqualTo("rampart privacy: 2 problems: (1) layer 0 (LSTM) is not supported; (2) no"
        + " output layer" + System.lineSeparator());
  }

  @Test
  void aCallsErrorTakesItsStatusCode() {
    assertThat(fail(new RpcException(GrpcStatus.PERMISSION_DENIED, "owners only"))).isEqualTo(ExitCodes.NEGATIVE);
    assertThat(fail(new RpcException(GrpcStatus.UNAVAILABLE, "down"))).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(err.toString().lines()).hasSize(2).allMatch(l -> l.startsWith("rampart privacy: "));
  }

  @Test
  void anythingElseIsAnInternalErrorWithItsTrace() {
    assertThat(fail(new IllegalStateException("a bug"))).isEqualTo(ExitCodes.INTERNAL);
    assertThat(err.toString()).startsWith("rampart: internal error: java.lang.IllegalStateException: a bug")
        .contains("\tat ");
  }
}
