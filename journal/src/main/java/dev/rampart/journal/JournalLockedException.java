package dev.rampart.journal;

import java.io.IOException;
import java.nio.file.Path;

/** Another writer holds the journal file: two coordinators appending to one journal would fork its chain. */
public final class JournalLockedException extends IOException {
  public JournalLockedException(Path file) {
    super("journal " + file + " is held by another process or another open Journal: only one coordinator may"
        + " write a journal; stop the other one (or close the other Journal) first");
  }
}
