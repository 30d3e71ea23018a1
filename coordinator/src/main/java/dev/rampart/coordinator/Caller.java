package dev.rampart.coordinator;

import dev.rampart.protocol.v1.Principal;
import java.security.PublicKey;

/**
 * Who is calling, from the TLS session: the client certificate's key and its fingerprint (null without a
 * certificate), the enrolled principal if any, and the TLS key the coordinator answered on (attestation binds it).
 */
public record Caller(String fingerprint, PublicKey publicKey, Principal principal, byte[] serverSpki, String remote) {
  public boolean anonymous() {
    return fingerprint == null;
  }

  /** "alice (3f2a…)" or the remote address: for logs, never secrets. */
  public String describe() {
    if (principal != null) {
      return principal.getName() + " (" + fingerprint.substring(0, 12) + "…)";
    }
    return fingerprint == null ? "anonymous " + remote : "unenrolled key " + fingerprint.substring(0, 12) + "… " + remote;
  }
}
