package dev.rampart.coordinator;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a coordinator in the foreground until the process is stopped (SIGTERM closes it cleanly; SIGKILL is
 * survived by design: every acknowledged write is on disk). {@code rampart coordinator start} lands here.
 */
public final class CoordinatorMain {
  private CoordinatorMain() {}

  /** Starts, prints one {@code listening=HOST:PORT} line to {@code out}, and blocks until shutdown. */
  public static void runUntilStopped(CoordinatorConfig config, PrintStream out) throws Exception {
    Coordinator c = Coordinator.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      c.close();
      stopped.countDown();
    }, "coordinator-shutdown"));
    out.println("listening=" + config.host() + ":" + c.port());
    out.flush();
    stopped.await();
  }

  /**
   * Test and scripting entry: {@code STATE_DIR PORT MEASUREMENT_HEX [ADMIN_CERT]}, simulated TEE on 127.0.0.1.
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: CoordinatorMain STATE_DIR PORT MEASUREMENT_HEX [ADMIN_CERT]");
      System.exit(2);
    }
    CoordinatorConfig.Builder b = CoordinatorConfig.builder(java.nio.file.Path.of(args[0]),
        java.util.HexFormat.of().parseHex(args[2])).listen("127.0.0.1", Integer.parseInt(args[1]));
    if (args.length > 3) {
      b.adminCertificate(java.nio.file.Path.of(args[3]));
    }
    runUntilStopped(b.build(), System.out);
  }
}
