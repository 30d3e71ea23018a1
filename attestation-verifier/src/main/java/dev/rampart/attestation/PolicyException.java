package dev.rampart.attestation;

/** A policy file that cannot be used: malformed JSON, an unknown key, a value of the wrong type or range. */
public final class PolicyException extends Exception {
  public PolicyException(String message) {
    super(message);
  }
}
