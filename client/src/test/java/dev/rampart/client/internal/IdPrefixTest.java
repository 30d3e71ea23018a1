package dev.rampart.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdPrefixTest {
  private static final String A = "3f2a9c01" + "0".repeat(56);
  private static final String B = "3f2a9c01" + "1".repeat(56);
  private static final String C = "77aa0000" + "2".repeat(56);
  private static final List<String> IDS = List.of(A, B, C);

  private static String resolve(String given) {
    return IdPrefix.resolve(given, IDS, "dataset", 8, "'rampart datasets'");
  }

  @Test
  void fullId_resolvesToItself() {
    assertThat(resolve(B)).isEqualTo(B);
  }

  @Test
  void uniquePrefix_resolvesIgnoringCaseAndATableEllipsis() {
    assertThat(resolve("77aa0000")).isEqualTo(C);
    assertThat(resolve("77AA00002")).isEqualTo(C);
    assertThat(resolve("3f2a9c011…")).isEqualTo(B);
  }

  @Test
  void ambiguousPrefix_failsNamingTheCandidates() {
    assertThatThrownBy(() -> resolve("3f2a9c01")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("start of 2 dataset ids").hasMessageContaining(A).hasMessageContaining(B)
        .hasMessageContaining("give more characters");
  }

  @Test
  void unknownPrefix_failsPointingAtTheListing() {
    assertThatThrownBy(() -> resolve("deadbeef")).hasMessageContaining("no dataset visible to you")
        .hasMessageContaining("'rampart datasets'");
  }

  @Test
  void shortPrefix_fails_evenWhenUnique() {
    assertThatThrownBy(() -> resolve("77aa")).hasMessageContaining("too short").hasMessageContaining("at least 8");
  }

  @Test
  void nothingGiven_fails() {
    assertThatThrownBy(() -> resolve(" ")).hasMessageContaining("no dataset id given");
  }
}
