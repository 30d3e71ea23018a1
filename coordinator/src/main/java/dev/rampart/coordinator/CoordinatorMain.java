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
}
