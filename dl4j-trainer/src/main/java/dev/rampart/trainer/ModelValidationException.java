package dev.rampart.trainer;

/** A model the private trainer refuses, with what to use instead. */
public final class ModelValidationException extends Exception {
  public ModelValidationException(String message) {
    super(message);
  }
}
