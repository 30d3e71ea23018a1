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
}
