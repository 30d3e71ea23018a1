package dev.rampart.datasets.internal;

/** Quoting of untrusted values inside error messages. Not API. */
public final class Messages {
  /** Longest excerpt of a bad value shown in a message. */
  public static final int MAX_VALUE_CHARS = 40;

  private Messages() {}

  /**
   * {@code value} in double quotes, cut to {@value #MAX_VALUE_CHARS} characters (then followed by "..."), with
   * quotes, backslashes and control characters escaped, so that a message stays one readable line whatever the
   * data holds (a CSV field may contain newlines or terminal escape sequences).
   */
  public static String quote(String value) {
    int end = Math.min(value.length(), MAX_VALUE_CHARS);
    if (end < value.length() && Character.isHighSurrogate(value.charAt(end - 1))) {
      end--; // do not split a surrogate pair
    }
    StringBuilder s = new StringBuilder(end + 8).append('"');
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"': s.append("\\\""); break;
        case '\\': s.append("\\\\"); break;
        case '\n': s.append("\\n"); break;
        case '\r': s.append("\\r"); break;
        case '\t': s.append("\\t"); break;
        default:
          if (c < 0x20 || c == 0x7F) {
            s.append(String.format("\\u%04X", (int) c));
          } else {
            s.append(c);
          }
      }
    }
    s.append('"');
    if (end < value.length()) {
      s.append("...");
    }
    return s.toString();
  }
}
