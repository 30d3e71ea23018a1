package dev.rampart.datasets.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 and hex helpers. Not API. */
public final class Digests {

  private Digests() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256 (MessageDigest's Javadoc): this cannot happen.
      throw new IllegalStateException("the Java platform lacks SHA-256", e);
    }
  }

  /** Lower-case hex, two digits a byte, no separators. */
  public static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }

}
