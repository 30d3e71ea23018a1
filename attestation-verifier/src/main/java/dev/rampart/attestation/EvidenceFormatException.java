package dev.rampart.attestation;

/** Input that cannot be used at all: not evidence of a known format, or an unreadable endorsement. */
public final class EvidenceFormatException extends Exception {
  public EvidenceFormatException(String message) {
    super(message);
  }

  public EvidenceFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
