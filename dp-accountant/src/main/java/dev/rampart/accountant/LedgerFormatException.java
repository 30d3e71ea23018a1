package dev.rampart.accountant;

import java.io.IOException;

/** Saved ledger state that cannot be read: wrong format or version, truncated, or inconsistent. */
public final class LedgerFormatException extends IOException {
  public LedgerFormatException(String message) {
    super(message);
  }
}
