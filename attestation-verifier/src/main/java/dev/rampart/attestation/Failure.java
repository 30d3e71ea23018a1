package dev.rampart.attestation;

/**
 * One failed check.
 *
 * @param check what failed
 * @param detail what was wrong, for a person: never secret material
 */
public record Failure(Check check, String detail) {
  @Override
  public String toString() {
    return check.id() + ": " + detail;
  }
}
