package dev.rampart.journal;

/** An export file that cannot be read: not an export, a malformed line, or over a size limit. */
public final class JournalExportException extends dev.rampart.common.RampartException {
  private final long line;

  /** @param line the 1-based line number the problem is on */
  public JournalExportException(long line, String message) {
    super("journal export, line " + line + ": " + message);
    this.line = line;
  }

  public long line() {
    return line;
  }
}
