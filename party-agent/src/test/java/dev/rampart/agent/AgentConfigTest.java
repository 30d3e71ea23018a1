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
    for (String data : new String[] {"d.csv", "s.json", "img.idx", "lab.idx"}) {
      if (!Files.exists(dir.resolve(data))) {
        Files.writeString(dir.resolve(data), "");
      }
    }
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

  /** Issue 12, item 8: these exited 3 with a stack trace; now each is a ConfigException (exit 2) naming the key. */
  @Test
  void missingDataFilesAndBadClasses_nameTheKey() throws Exception {
    assertThatThrownBy(() -> AgentConfig.read(write(GOOD.replace("file: d.csv", "file: nowhere.csv"))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("'datasets/d1/csv/file'")
        .hasMessageContaining("nowhere.csv").hasMessageContaining("does not exist");
    String idx = GOOD.replace("csv: {file: d.csv, schema: s.json}",
        "idx: {images: img.idx, labels: missing.idx, classes: 10}");
    assertThatThrownBy(() -> AgentConfig.read(write(idx)))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("'datasets/d1/idx/labels'");
    assertThatThrownBy(() -> AgentConfig.read(write(idx.replace("missing.idx", "lab.idx").replace("classes: 10",
        "classes: 1"))))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("'datasets/d1/idx/classes'")
        .hasMessageContaining("got 1");
    assertThat(AgentConfig.read(write(idx.replace("missing.idx", "lab.idx"))).datasets().get(0).idx().classes())
        .isEqualTo(10);
    // rows beyond the file: a data error naming the key (exit 2), not an IndexOutOfBoundsException
    assertThatThrownBy(() -> PartyAgent.canonical(DataPlaneTest.fashion("x", 0, 20_000, DataPlaneTest.license())))
        .isInstanceOf(dev.rampart.datasets.DatasetFormatException.class)
        .hasMessageContaining("'datasets/x/idx/to' is 20000").hasMessageContaining("has 10000 rows");
  }
}
