package dev.rampart.cli;

import java.io.PrintStream;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** One-line logs (time, level, message) for the long-running commands; systemd's journal adds the rest. */
final class Logs {
  private Logs() {}

  static {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %5$s%6$s%n");
    }
  }

  /** Sends every log line to {@code out} (stdout for daemons), flushed per line. */
  static void to(PrintStream out) {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    Handler h = new Handler() {
      private final SimpleFormatter f = new SimpleFormatter();

      @Override
      public void publish(LogRecord r) {
        if (isLoggable(r)) {
          out.print(f.format(r));
          out.flush();
        }
      }

      @Override
      public void flush() {
        out.flush();
      }

      @Override
      public void close() {
        out.flush();
      }
    };
    h.setLevel(Level.INFO);
    root.addHandler(h);
    root.setLevel(Level.INFO);
    // Netty's and Vert.x's chatter below WARNING is not for operators
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
    Logger.getLogger("io.vertx").setLevel(Level.WARNING);
  }

  /** Quiet mode for one-shot client commands: warnings only, to stderr. */
  static void quiet() {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    ConsoleHandler h = new ConsoleHandler();
    h.setLevel(Level.WARNING);
    root.addHandler(h);
    root.setLevel(Level.WARNING);
  }
}
