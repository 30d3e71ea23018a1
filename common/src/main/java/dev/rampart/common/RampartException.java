package dev.rampart.common;

/**
 * The root of Rampart's typed, checked errors: a refused model, an invalid dataset, a failed or refused call, a
 * corrupt journal or file. Its message is a whole sentence for a person, saying what is wrong and, where something
 * can be done, what to do; it never carries a secret. Callers that do not handle a kind specifically report the
 * message in one line (the CLI does) instead of a stack trace.
 *
 * <p>Failures of reading or writing stored bytes (a damaged sealed file, a locked journal, unreadable training
 * data) are {@link java.io.IOException}s instead, so that they travel with the I/O errors their callers already
 * handle; the accountant and the verifier, which depend on nothing of ours, have their own.
 */
public class RampartException extends Exception {
  private static final long serialVersionUID = 1L;

  public RampartException(String message) {
    super(message);
  }

  public RampartException(String message, Throwable cause) {
    super(message, cause);
  }
}
