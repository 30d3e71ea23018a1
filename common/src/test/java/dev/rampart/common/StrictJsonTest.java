package dev.rampart.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

class StrictJsonTest {
  record Point(int x, int y) {}

  @Test
  void readsPlainDocuments() throws Exception {
    assertThat(StrictJson.MAPPER.readTree("{\"a\": [1, {\"b\": \"c\"}]}").at("/a/1/b").asText()).isEqualTo("c");
    assertThat(StrictJson.MAPPER.readValue("{\"x\": 1, \"y\": 2}", Point.class)).isEqualTo(new Point(1, 2));
  }

  @Test
  void refusesDuplicatesTrailingContentDepthAndUnknownProperties() throws Exception {
    assertThatThrownBy(() -> StrictJson.MAPPER.readTree("{\"a\": 1, \"a\": 2}"))
        .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Duplicate field 'a'");
    assertThatThrownBy(() -> StrictJson.MAPPER.readTree("{\"a\": 1} {\"a\": 2}"))
        .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Trailing token");
    String deep = "[".repeat(StrictJson.MAX_DEPTH + 1) + "]".repeat(StrictJson.MAX_DEPTH + 1);
    assertThatThrownBy(() -> StrictJson.MAPPER.readTree(deep)).hasMessageContaining("nesting depth");
    String ok = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);
    assertThat(StrictJson.MAPPER.readTree(ok).isArray()).isTrue();
    assertThatThrownBy(() -> StrictJson.MAPPER.readValue("{\"x\": 1, \"y\": 2, \"z\": 3}", Point.class))
        .hasMessageContaining("Unrecognized field \"z\"");
  }

  @Test
  void firstLineDropsJacksonsSourceLocation() {
    assertThat(StrictJson.firstLine("Duplicate field 'a'\n at [Source: ...]")).isEqualTo("Duplicate field 'a'");
    assertThat(StrictJson.firstLine(null)).isEmpty();
  }
}
