package dev.rampart.datasets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

  @Test
  void parse_allValueKinds() throws Exception {
    Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}, \"c\": []}\n", 8);
    assertThat(v).isEqualTo(Map.of(
        "a", List.of(new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false, Json.NULL, "x"),
        "b", Map.of(),
        "c", List.of()));
  }

  @Test
  void parse_objectKeepsMemberOrder() throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse("{\"z\":1,\"a\":2,\"m\":3}", 8);
    assertThat(m.keySet()).containsExactly("z", "a", "m");
  }

  @Test
  void parse_numbersKeepTheirExactForm() throws Exception {
    assertThat(Json.parse("2.0", 1)).isEqualTo(new BigDecimal("2.0")).isNotEqualTo(new BigDecimal("2"));
    assertThat(Json.parse("-0", 1)).isEqualTo(new BigDecimal("0"));
  }

  @Test
  void parse_stringEscapes() throws Exception {
    assertThat(Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\uD83D\\uDE00\"", 1))
        .isEqualTo("q\" b\\ s/ \b\f\n\r\t é \uD83D\uDE00");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "+1", "-", "1e", "NaN", "Infinity", "tru",
      "nul", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\uDE00\"", "\"\\uD83D x\"", "\"tab\there\"", "[1 2]",
      "{\"a\" 1}", "{1:2}", "1 2", "// c\n1", "[1]]", "\"\\u12\""})
  void parse_invalid_fails(String text) {
    assertThatThrownBy(() -> Json.parse(text, 8)).isInstanceOf(Json.SyntaxException.class);
  }

  @Test
  void parse_duplicateName_failsAtTheName() {
    assertThatThrownBy(() -> Json.parse("{\"a\": 1,\n  \"a\": 2}", 8))
        .isInstanceOf(Json.SyntaxException.class)
        .hasMessage("line 2, column 3: duplicate member name \"a\"");
  }

  @Test
  void parse_errorPosition_lineAndColumn() {
    assertThatThrownBy(() -> Json.parse("{\n  \"a\": [1,\n    x]}", 8))
        .isInstanceOfSatisfying(Json.SyntaxException.class, e -> {
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.column()).isEqualTo(5);
        })
        .hasMessageContaining("unexpected 'x'");
  }

  @Test
  void parse_depthLimit() throws Exception {
    assertThat(Json.parse("[[[1]]]", 3)).isEqualTo(List.of(List.of(List.of(BigDecimal.ONE))));
    assertThatThrownBy(() -> Json.parse("[[[[1]]]]", 3)).hasMessageContaining("nesting deeper than 3");
    // Deep input must be refused, not overflow the stack.
    assertThatThrownBy(() -> Json.parse("[".repeat(100_000), 32)).isInstanceOf(Json.SyntaxException.class);
  }

  @Test
  void parse_overlongNumber_fails() {
    assertThatThrownBy(() -> Json.parse("1" + "0".repeat(64), 1)).hasMessageContaining("longer than 64");
    assertThatThrownBy(() -> Json.parse("1e99999999999", 1)).isInstanceOf(Json.SyntaxException.class);
  }
}
