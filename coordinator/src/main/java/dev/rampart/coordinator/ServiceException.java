package dev.rampart.coordinator;

/**
 * A refusal a caller can act on: what kind of refusal, and a message that says what to do. Never carries secrets.
 * The domain says what went wrong; the {@code rpc} package alone decides which gRPC status that is.
 */
public final class ServiceException extends dev.rampart.common.RampartException {
  private static final long serialVersionUID = 1L;

  /** The kinds of refusal. */
  public enum Refusal {
    /** The request itself is wrong: fix it. */
    INVALID,
    /** The caller may not do this. */
    DENIED,
    /** Nothing of that name the caller may see. */
    NOT_FOUND,
    /** Not now: something else must happen first. */
    PRECONDITION,
    /** It exists already (and the caller cannot have a second one). */
    ALREADY_EXISTS,
    /** A limit is reached: wait, or ask for less. */
    EXHAUSTED,
    /** The coordinator cannot serve it at the moment (shutting down): retry. */
    UNAVAILABLE,
    /** Interrupted by something on the coordinator's side: start the step again. */
    ABORTED
  }

  private final Refusal refusal;

  public ServiceException(Refusal refusal, String message) {
    super(message);
    this.refusal = java.util.Objects.requireNonNull(refusal, "refusal");
  }

  public Refusal refusal() {
    return refusal;
  }

  public static ServiceException invalid(String message) {
    return new ServiceException(Refusal.INVALID, message);
  }

  public static ServiceException denied(String message) {
    return new ServiceException(Refusal.DENIED, message);
  }

  public static ServiceException notFound(String message) {
    return new ServiceException(Refusal.NOT_FOUND, message);
  }

  public static ServiceException precondition(String message) {
    return new ServiceException(Refusal.PRECONDITION, message);
  }

  public static ServiceException alreadyExists(String message) {
    return new ServiceException(Refusal.ALREADY_EXISTS, message);
  }

  public static ServiceException exhausted(String message) {
    return new ServiceException(Refusal.EXHAUSTED, message);
  }

  public static ServiceException unavailable(String message) {
    return new ServiceException(Refusal.UNAVAILABLE, message);
  }

  public static ServiceException aborted(String message) {
    return new ServiceException(Refusal.ABORTED, message);
  }
}
