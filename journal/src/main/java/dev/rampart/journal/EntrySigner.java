package dev.rampart.journal;

import dev.rampart.journal.internal.Ecdsa;
import java.security.GeneralSecurityException;
import java.security.KeyPair;

/** Makes signed entries; the one place an entry's signature is computed. */
final class EntrySigner {
  private EntrySigner() {}

  static JournalEntry sign(long seq, byte[] prevHash, long timeMillis, String type, byte[] payload, KeyPair key)
      throws GeneralSecurityException {
    byte[] payloadSha256 = JournalEntry.sha256().digest(payload);
    byte[] spki = key.getPublic().getEncoded();
    byte[] signature = Ecdsa.sign(key.getPrivate(),
        JournalEntry.signedBytes(seq, prevHash, timeMillis, type, payloadSha256, spki));
    return new JournalEntry(seq, prevHash, timeMillis, type, payloadSha256, payload, spki, signature);
  }
}
