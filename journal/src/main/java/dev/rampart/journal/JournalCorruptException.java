package dev.rampart.journal;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A journal file holds a complete record that cannot be trusted: it does not decrypt with the sealing key, does
 * not parse, breaks the hash chain, or fails its signature. The file is left exactly as it was found; the
 * coordinator must not start on it.
 */
public final class JournalCorruptException extends dev.rampart.common.RampartException {
  private final transient JournalProblem problem;

  public JournalCorruptException(Path file, JournalProblem problem) {
    super("journal " + file + " is unusable at seq " + problem.seq() + " ("
        + problem.kind().name().toLowerCase(Locale.ROOT).replace('_', '-') + "): " + problem.detail()
        + ". The file was not changed: restore it from a backup, or check that the sealing key is this"
        + " deployment's; do not start the coordinator on it");
    this.problem = problem;
  }

  /** The seq of the first record that failed (its position in the file: record 0 is seq 0). */
  public long seq() {
    return problem.seq();
  }

  public JournalProblem.Kind kind() {
    return problem.kind();
  }

  public JournalProblem problem() {
    return problem;
  }
}
