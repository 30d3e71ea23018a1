package dev.rampart.agent;

import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Waits for a log line of an in-process component as an event (no polling, no sleeping): the future completes with
 * the first message of {@code source}'s logger that matches, and the handler removes itself.
 */
final class LogEvents {
  private LogEvents() {}

  static CompletableFuture<String> next(Class<?> source, Predicate<String> match) {
    Logger logger = Logger.getLogger(source.getName());
    CompletableFuture<String> line = new CompletableFuture<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        String m = r.getMessage();
        if (m != null && match.test(m) && line.complete(m)) {
          logger.removeHandler(this);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(h);
    line.whenComplete((m, e) -> logger.removeHandler(h)); // also when the caller gives up
    return line;
  }
}
