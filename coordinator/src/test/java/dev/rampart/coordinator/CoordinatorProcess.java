package dev.rampart.coordinator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A coordinator in a child JVM ({@link CoordinatorMain}, simulated TEE on 127.0.0.1, this JVM's class path): for
 * tests and scripts that must kill a real process (SIGKILL: no shutdown hook runs). Its output (log lines
 * included) is read on a daemon thread; {@link #awaitLine} waits for a line as an event, without polling.
 */
public final class CoordinatorProcess implements AutoCloseable {
  private final Process process;
  private final List<Waiter> waiters = new ArrayList<>();
  /** Every line so far (guarded by {@code waiters}): a waiter also sees lines printed before it asked. */
  private final List<String> lines = new ArrayList<>();
  private boolean ended; // guarded by waiters

  private record Waiter(Predicate<String> match, CompletableFuture<String> line) {}

  private CoordinatorProcess(Process process) {
    this.process = process;
  }

  private int port;

  /**
   * The port the child listens on, as it reported it: start the first child on port 0 (the child binds a free one,
   * no race with other processes), then restart later children on this port.
   */
  public int port() {
    return port;
  }

  /** Starts the child and returns once it prints {@code listening=}. */
  public static CoordinatorProcess start(Path state, int port, byte[] measurement, Path adminCertificate)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), CoordinatorChild.class.getName(), state.toString(),
        Integer.toString(port), HexFormat.of().formatHex(measurement)));
    if (adminCertificate != null) {
      command.add(adminCertificate.toString());
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    CoordinatorProcess child = new CoordinatorProcess(p);
    CompletableFuture<String> listening = child.lineMatching(l -> l.startsWith("listening="));
    Thread reader = new Thread(child::readOutput, "coordinator-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String line = listening.get(2, TimeUnit.MINUTES);
      child.port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IOException("the coordinator process did not start listening (exit "
          + (p.isAlive() ? "none yet" : p.exitValue()) + ")", e);
    }
    return child;
  }

  private void readOutput() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        synchronized (waiters) {
          lines.add(line);
          for (var it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.match().test(line)) {
              w.line().complete(line);
              it.remove();
            }
          }
        }
      }
    } catch (IOException ignored) {
      // the process died: the waiters below learn it
    }
    synchronized (waiters) {
      ended = true;
      waiters.forEach(w -> w.line().completeExceptionally(new IOException("the coordinator process exited")));
      waiters.clear();
    }
  }

  /** The first output line matching {@code match}: one already printed, or the next one that is. */
  public CompletableFuture<String> lineMatching(Predicate<String> match) {
    CompletableFuture<String> f = new CompletableFuture<>();
    synchronized (waiters) {
      var seen = lines.stream().filter(match).findFirst();
      if (seen.isPresent()) {
        f.complete(seen.get());
      } else if (ended) {
        f.completeExceptionally(new IOException("the coordinator process exited"));
      } else {
        waiters.add(new Waiter(match, f));
      }
    }
    return f;
  }

  /** Waits for the first output line matching {@code match} (see {@link #lineMatching}). */
  public String awaitLine(Predicate<String> match, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    return lineMatching(match).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGKILL, and waits for the process to be gone. */
  public void kill() throws InterruptedException {
    if (!process.destroyForcibly().waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the coordinator process " + process.pid() + " is still alive 60 s after"
          + " SIGKILL");
    }
  }

  /** SIGTERM (a clean shutdown), and waits for it. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      kill();
    }
  }
}
