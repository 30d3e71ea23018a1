package dev.rampart.datasets.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser (RFC 8259), for schema files: this module may have no dependencies. Not API.
 *
 * <p>Values become {@code Map<String, Object>} (member order kept, duplicate names refused), {@code List<Object>},
 * {@code String}, {@code BigDecimal} (exact, so "2.0" and "2" can be told apart by the caller), {@code Boolean}
 * and {@link #NULL}. Strict: no comments, no trailing commas, no single quotes, no leading zeros, no NaN, no
 * unescaped control characters, no lone surrogates, nothing after the value. Bounded: nesting at most
 * {@code maxDepth}, numbers at most {@value #MAX_NUMBER_CHARS} characters; the caller bounds the text's length.
 */
public final class Json {
  /** JSON {@code null} (Java null would be ambiguous with "absent" in a map lookup). */
  public static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  static final int MAX_NUMBER_CHARS = 64;

  /** A syntax error, at a 1-based line and column of the text. */
  public static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int line;
    private final int column;

    SyntaxException(String problem, int line, int column) {
      super("line " + line + ", column " + column + ": " + problem);
      this.line = line;
      this.column = column;
    }

    public int line() {
      return line;
    }

    public int column() {
      return column;
    }
  }

  private final String text;
  private final int maxDepth;
  private int pos;

  private Json(String text, int maxDepth) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  /** Parses exactly one JSON value, surrounded by optional whitespace. */
  public static Object parse(String text, int maxDepth) throws SyntaxException {
    Json p = new Json(text, maxDepth);
    p.skipWhitespace();
    Object value = p.value(0);
    p.skipWhitespace();
    if (p.pos < text.length()) {
      throw p.error("unexpected " + p.describeNext() + " after the JSON value");
    }
    return value;
  }

  private Object value(int depth) throws SyntaxException {
    if (pos >= text.length()) {
      throw error("the text ends where a value was expected");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", NULL);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected " + describeNext() + " where a value was expected");
    }
  }

  private Map<String, Object> object(int depth) throws SyntaxException {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> members = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return Collections.unmodifiableMap(members);
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a member name in double quotes, found " + describeNext());
      }
      int namePos = pos;
      String name = string();
      if (members.containsKey(name)) {
        pos = namePos;
        throw error("duplicate member name \"" + name + "\"");
      }
      skipWhitespace();
      expect(':', "after the member name");
      skipWhitespace();
      members.put(name, value(depth));
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() == '}') {
        pos++;
        return Collections.unmodifiableMap(members);
      } else {
        throw error("expected ',' or '}' after an object member, found " + describeNext());
      }
    }
  }

  private List<Object> array(int depth) throws SyntaxException {
    checkDepth(depth);
    pos++; // '['
    List<Object> elements = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(elements);
    }
    while (true) {
      skipWhitespace();
      elements.add(value(depth));
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() == ']') {
        pos++;
        return Collections.unmodifiableList(elements);
      } else {
        throw error("expected ',' or ']' after an array element, found " + describeNext());
      }
    }
  }

  private String string() throws SyntaxException {
    int start = pos;
    pos++; // opening quote
    StringBuilder s = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("the text ends inside a string");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        if (hasUnpairedSurrogate(s)) {
          pos = start;
          throw error("string has an unpaired UTF-16 surrogate (from a \\u escape): escape a non-BMP character"
              + " as a high-low pair, e.g. \\uD83D\\uDE00");
        }
        return s.toString();
      }
      if (c < 0x20) {
        throw error("control character U+" + String.format("%04X", (int) c)
            + " inside a string: escape it (e.g. \\n)");
      }
      if (c == '\\') {
        pos++;
        char e = pos < text.length() ? text.charAt(pos) : '\0';
        switch (e) {
          case '"': s.append('"'); break;
          case '\\': s.append('\\'); break;
          case '/': s.append('/'); break;
          case 'b': s.append('\b'); break;
          case 'f': s.append('\f'); break;
          case 'n': s.append('\n'); break;
          case 'r': s.append('\r'); break;
          case 't': s.append('\t'); break;
          case 'u':
            pos++;
            s.append(hex4());
            continue;
          default:
            throw error("invalid escape " + (pos < text.length() ? "\\" + e : "at the end of the text")
                + ": use one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
        }
        pos++;
        continue;
      }
      s.append(c);
      pos++;
    }
  }

  private static boolean hasUnpairedSurrogate(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private char hex4() throws SyntaxException {
    if (pos + 4 > text.length()) {
      throw error("\\u needs four hex digits");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0 || text.charAt(pos + i) > 'f') {
        throw error("\\u needs four hex digits");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private BigDecimal number() throws SyntaxException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw error("leading zeros are not allowed in numbers");
      }
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("expected a digit, found " + describeNext());
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after the decimal point, found " + describeNext());
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in the exponent, found " + describeNext());
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (pos - start > MAX_NUMBER_CHARS) {
      pos = start;
      throw error("number longer than " + MAX_NUMBER_CHARS + " characters");
    }
    try {
      return new BigDecimal(text.substring(start, pos));
    } catch (NumberFormatException e) {
      // e.g. an exponent beyond the int range, which BigDecimal cannot represent
      pos = start;
      throw error("number out of range");
    }
  }

  private Object literal(String word, Object value) throws SyntaxException {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected " + describeNext() + " where a value was expected");
    }
    pos += word.length();
    return value;
  }

  private void checkDepth(int depth) throws SyntaxException {
    if (depth > maxDepth) {
      throw error("nesting deeper than " + maxDepth + " levels");
    }
  }

  private void expect(char c, String where) throws SyntaxException {
    if (peek() != c) {
      throw error("expected '" + c + "' " + where + ", found " + describeNext());
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  /** The next character, or U+FFFF at the end (U+FFFF is a noncharacter: it matches no test). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\uFFFF';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private String describeNext() {
    if (pos >= text.length()) {
      return "the end of the text";
    }
    char c = text.charAt(pos);
    return c < 0x20 || c > 0x7E ? String.format("U+%04X", (int) c) : "'" + c + "'";
  }

  private SyntaxException error(String problem) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < Math.min(pos, text.length()); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new SyntaxException(problem, line, pos - lineStart + 1);
  }
}
