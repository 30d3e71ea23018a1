package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.CsvSchema.Column;
import dev.rampart.datasets.CsvSchema.ColumnType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvSchemaTest {
  private static final Column A = new Column("a", ColumnType.FLOAT);
  private static final Column Y = new Column("y", ColumnType.INT);

  @Test
  void of_valid_exposesLabelIndexAndFeatureCount() {
    CsvSchema s = CsvSchema.of(List.of(A, Y, new Column("b", ColumnType.INT)), "y", 3, true);
    assertThat(s.labelIndex()).isEqualTo(1);
    assertThat(s.featureCount()).isEqualTo(2);
    assertThat(s.classCount()).isEqualTo(3);
    assertThat(s.headerRow()).isTrue();
    assertThat(s).isEqualTo(CsvSchema.of(List.of(A, Y, new Column("b", ColumnType.INT)), "y", 3, true));
  }

  @Test
  void of_copiesTheColumnList() {
    List<Column> columns = new ArrayList<>(List.of(A, Y));
    CsvSchema s = CsvSchema.of(columns, "y", 2, false);
    columns.clear();
    assertThat(s.columns()).containsExactly(A, Y);
  }

  @Test
  void of_labelOnly_fails() {
    assertThatThrownBy(() -> CsvSchema.of(List.of(Y), "y", 2, true)).hasMessageContaining("at least one feature");
  }

  @Test
  void of_unknownLabel_fails() {
    assertThatThrownBy(() -> CsvSchema.of(List.of(A, Y), "z", 2, true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"z\" is not among the columns");
  }

  @Test
  void of_floatLabel_fails() {
    assertThatThrownBy(() -> CsvSchema.of(List.of(A, Y), "a", 2, true)).hasMessageContaining("declare the column as int");
  }

  @Test
  void of_duplicateName_fails() {
    assertThatThrownBy(() -> CsvSchema.of(List.of(A, Y, new Column("a", ColumnType.INT)), "y", 2, true))
        .hasMessageContaining("\"a\" appears twice");
  }

  @Test
  void of_classCountOutsideLimits_fails() {
    assertThatThrownBy(() -> CsvSchema.of(List.of(A, Y), "y", 1, true)).hasMessageContaining("classCount 1");
    assertThatThrownBy(() -> CsvSchema.of(List.of(A, Y), "y", 65_536, true)).hasMessageContaining("classCount 65536");
  }

  @Test
  void column_emptyName_fails() {
    assertThatThrownBy(() -> new Column("", ColumnType.FLOAT)).isInstanceOf(IllegalArgumentException.class);
  }
}
