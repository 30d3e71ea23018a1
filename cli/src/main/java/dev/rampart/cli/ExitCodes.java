package dev.rampart.cli;

/** The exit codes of every {@code rampart} command; scripts depend on them. */
public final class ExitCodes {
  private ExitCodes() {}

  /** The command did what was asked. */
  public static final int SUCCESS = 0;
  /** A negative answer: evidence invalid, budget exceeded, target unreachable. */
  public static final int NEGATIVE = 1;
  /** Unusable input: a bad argument, an unreadable or malformed file. */
  public static final int USAGE = 2;
  /** A failure of Rampart itself (a bug, or the launcher could not build); the message says what. */
  public static final int INTERNAL = 3;
  /** The coordinator could not be reached or did not answer in time: retry later (systemd may restart). */
  public static final int UNAVAILABLE = 4;

  /**
   * The exit code for a typed error no command handled: a call by its status; a refused model, dataset or file
   * is unusable input; a journal that fails verification is a negative answer.
   */
  static int of(dev.rampart.common.RampartException e) {
    if (e instanceof dev.rampart.protocol.RpcException rpc) {
      return of(rpc);
    }
    if (e instanceof dev.rampart.trainer.ModelValidationException || e instanceof dev.rampart.datasets.DatasetFormatException
        || e instanceof dev.rampart.common.FramedFile.FormatException
        || e instanceof dev.rampart.journal.JournalExportException) {
      return USAGE;
    }
    if (e instanceof dev.rampart.journal.JournalCorruptException) {
      return NEGATIVE;
    }
    return INTERNAL;
  }

  /** The exit code for a failed call: refusals are negative answers, bad requests unusable input. */
  static int of(dev.rampart.protocol.RpcException e) {
    if (e instanceof dev.rampart.protocol.AttestationException) {
      return NEGATIVE;
    }
    return switch (e.status()) {
      case UNAUTHENTICATED, PERMISSION_DENIED, FAILED_PRECONDITION, ALREADY_EXISTS, NOT_FOUND, RESOURCE_EXHAUSTED ->
          NEGATIVE;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> USAGE;
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED -> UNAVAILABLE;
      default -> INTERNAL;
    };
  }
}
