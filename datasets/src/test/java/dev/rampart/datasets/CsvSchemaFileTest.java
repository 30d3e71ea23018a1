package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.CsvSchema.Column;
import dev.rampart.datasets.CsvSchema.ColumnType;
import dev.rampart.datasets.DatasetFormatException.Problem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSchemaFileTest {
  static final Path EXAMPLE = resource("/testdata/csv/patients.schema.json");

  @TempDir Path dir;

  @Test
  void read_example() throws Exception {
    CsvSchema s = CsvSchemaFile.read(EXAMPLE);
    assertThat(s).isEqualTo(CsvSchema.of(List.of(new Column("age", ColumnType.FLOAT),
        new Column("diagnosis", ColumnType.INT), new Column("visits", ColumnType.INT),
        new Column("bmi", ColumnType.FLOAT)), "diagnosis", 2, true));
  }

  @Test
  void unknownMember_failsNamingIt() {
    assertSchemaError(json("\"header\": true, \"hedaer\": false"), "unknown member \"hedaer\" in the top level");
    assertSchemaError("{\"columns\": [{\"name\": \"a\", \"type\": \"float\", \"unit\": \"kg\"}, "
        + "{\"name\": \"y\", \"type\": \"int\"}], \"label\": \"y\", \"classCount\": 2, \"header\": true}",
        "unknown member \"unit\" in \"columns\"[0]");
  }

  @Test
  void missingMember_fails() {
    assertSchemaError("{\"columns\": [{\"name\": \"a\", \"type\": \"float\"}], \"label\": \"a\", \"header\": true}",
        "the top level lacks \"classCount\"");
  }

  @Test
  void unknownType_failsNamingTheColumn() {
    assertSchemaError(json("\"header\": true").replace("\"type\": \"float\"", "\"type\": \"double\""),
        "\"columns\"[0].type is \"double\": use \"float\" or \"int\"");
  }

  @Test
  void wrongValueKinds_fail() {
    assertSchemaError(json("\"header\": \"yes\""), "\"header\" is the string \"yes\"");
    assertSchemaError(json("\"header\": true").replace("\"classCount\": 2", "\"classCount\": 2.5"),
        "\"classCount\" is the number \"2.5\"");
    assertSchemaError(json("\"header\": true").replace("\"classCount\": 2", "\"classCount\": 1e30"),
        "\"classCount\" is the number");
    assertSchemaError("[]", "the top level is an array, expected a JSON object");
  }

  @Test
  void semanticProblem_failsWithSchema() {
    assertSchemaError(json("\"header\": true").replace("\"label\": \"y\"", "\"label\": \"a\""),
        "schema: the label column \"a\" has type FLOAT");
  }

  @Test
  void syntaxError_failsWithPosition() {
    assertThatThrownBy(() -> CsvSchemaFile.parse("{\n  \"columns\": [,]\n}"))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SYNTAX))
        .hasMessageStartingWith("schema, line 2, column 15: ");
  }

  @Test
  void read_messagesNameTheFile_andInvalidUtf8Fails() throws Exception {
    Path bad = dir.resolve("bad.json");
    Files.write(bad, new byte[] {'{', (byte) 0xFF, '}'});
    assertThatThrownBy(() -> CsvSchemaFile.read(bad))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SYNTAX))
        .hasMessageContaining("schema bad.json is not valid UTF-8");
  }

  static Path resource(String name) {
    try {
      return Path.of(CsvSchemaFileTest.class.getResource(name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String json(String headerMember) {
    return "{\"columns\": [{\"name\": \"a\", \"type\": \"float\"}, {\"name\": \"y\", \"type\": \"int\"}],"
        + " \"label\": \"y\", \"classCount\": 2, " + headerMember + "}";
  }

  private static void assertSchemaError(String json, String fragment) {
    assertThatThrownBy(() -> CsvSchemaFile.parse(json))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SCHEMA))
        .hasMessageContaining(fragment);
  }
}
