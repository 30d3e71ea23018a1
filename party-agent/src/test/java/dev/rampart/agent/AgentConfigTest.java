package dev.rampart.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.protocol.v1.WeightRelease;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("agent.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  private static final String GOOD = """
      coordinator: 127.0.0.1:7443
      policy: policy.json
      identity: keys/a
      datasets:
        - name: d1
          csv: {file: d.csv, schema: s.json}
          license:
            listers: [alice]
            epsilon: 3
            delta: 1e-5
            weightRelease: to-named
            releaseTo: [alice]
      """;

  @Test
  void aGoodFile_resolvesPathsRelativeToItself() throws Exception {
    AgentConfig c = AgentConfig.read(write(GOOD));
    assertThat(c.policy()).isEqualTo(dir.resolve("policy.json"));
    assertThat(c.datasets().get(0).csv().file()).isEqualTo(dir.resolve("d.csv"));
    assertThat(c.datasets().get(0).license().getWeightRelease()).isEqualTo(WeightRelease.TO_NAMED);
    assertThat(c.datasets().get(0).license().getDpRequired()).isTrue(); // the safe default
  }

  @Test
  void missingOrMisspelledKeys_areTypedErrorsNamingThem() throws Exception {
    assertThatThrownBy(() -> AgentConfig.read(write(GOOD.replace("      epsilon: 3\n", ""))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("epsilon");
    assertThatThrownBy(() -> AgentConfig.read(write(GOOD.replace("epsilon:", "epsilonn:"))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("epsilonn");
    assertThatThrownBy(() -> AgentConfig.read(write(GOOD.replace("policy: policy.json\n", ""))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("policy");
    assertThatThrownBy(() -> AgentConfig.read(write(GOOD.replace("listers: [alice]", "listers: null"))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("lists of names");
    assertThatThrownBy(() -> AgentConfig.read(write(GOOD.replace("to-named", "sometimes"))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("weightRelease");
    assertThatThrownBy(() -> AgentConfig.read(write("coordinator: 'unterminated")))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("not valid YAML");
    assertThatThrownBy(() -> AgentConfig.read(dir.resolve("absent.yaml")))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("does not exist");
  }
}
