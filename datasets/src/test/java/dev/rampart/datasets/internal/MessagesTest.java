package dev.rampart.datasets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MessagesTest {

  @Test
  void quote_shortValue_quotedAsIs() {
    assertThat(Messages.quote("abc")).isEqualTo("\"abc\"");
  }

  @Test
  void quote_longValue_cutTo40Chars() {
    assertThat(Messages.quote("x".repeat(41))).isEqualTo("\"" + "x".repeat(40) + "\"...");
    assertThat(Messages.quote("x".repeat(40))).isEqualTo("\"" + "x".repeat(40) + "\"");
  }

  @Test
  void quote_escapesQuotesAndControlCharacters() {
    assertThat(Messages.quote("a\"b\\c\nd\r\te\u001b[31m")).isEqualTo("\"a\\\"b\\\\c\\nd\\r\\te\\u001B[31m\"");
  }

  @Test
  void quote_doesNotSplitASurrogatePair() {
    String value = "x".repeat(39) + "\uD83D\uDE00" + "y";
    assertThat(Messages.quote(value)).isEqualTo("\"" + "x".repeat(39) + "\"...");
  }
}
