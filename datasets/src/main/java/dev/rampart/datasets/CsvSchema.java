package dev.rampart.datasets;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a CSV file holds: its columns in order, each a {@code float} or {@code int}; which {@code int} column is
 * the label; how many classes; whether the first line is a header row naming the columns. Immutable. Its file
 * form (JSON) is read by {@link CsvSchemaFile}.
 *
 * <p>Every column but the label becomes a FLOAT32 feature, in schema order.
 */
public final class CsvSchema {

  /** How a column's cells are written and checked. */
  public enum ColumnType {
    /** A decimal number, stored as the nearest float32; must be finite. */
    FLOAT,
    /** Digits with an optional sign; as a feature within ±2^24 so that float32 holds it exactly. */
    INT
  }

  /** One column: its name (as in the header row) and type. */
  public record Column(String name, ColumnType type) {
    public Column {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("a column name is empty: name every column");
      }
    }
  }

  private final List<Column> columns;
  private final String labelColumn;
  private final int labelIndex;
  private final int classCount;
  private final boolean headerRow;

  private CsvSchema(List<Column> columns, String labelColumn, int labelIndex, int classCount, boolean headerRow) {
    this.columns = columns;
    this.labelColumn = labelColumn;
    this.labelIndex = labelIndex;
    this.classCount = classCount;
    this.headerRow = headerRow;
  }

  /**
   * @param columns in file order, names unique, at least one besides the label, at most
   *     {@value CanonicalFormat#MAX_FEATURES} besides it
   * @param labelColumn the name of an {@code INT} column
   * @param classCount labels must be in [0, classCount); 2..{@value CanonicalFormat#MAX_CLASSES}
   * @param headerRow whether the file's first line names the columns (and must then match them exactly)
   * @throws IllegalArgumentException if the schema is unusable; the message says why
   */
  public static CsvSchema of(List<Column> columns, String labelColumn, int classCount, boolean headerRow) {
    List<Column> copy = List.copyOf(columns);
    Objects.requireNonNull(labelColumn, "labelColumn");
    if (copy.size() < 2) {
      throw new IllegalArgumentException("the schema has " + copy.size() + " column(s): it needs a label column"
          + " and at least one feature column");
    }
    if (copy.size() - 1 > CanonicalFormat.MAX_FEATURES) {
      throw new IllegalArgumentException("the schema has " + (copy.size() - 1) + " feature columns, above the"
          + " limit of " + CanonicalFormat.MAX_FEATURES + ": drop or combine columns");
    }
    Set<String> names = new HashSet<>();
    int labelIndex = -1;
    for (int i = 0; i < copy.size(); i++) {
      Column c = copy.get(i);
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("column name \"" + c.name() + "\" appears twice: names must be unique");
      }
      if (c.name().equals(labelColumn)) {
        labelIndex = i;
      }
    }
    if (labelIndex < 0) {
      throw new IllegalArgumentException("the label column \"" + labelColumn + "\" is not among the columns:"
          + " name one of them as the label");
    }
    if (copy.get(labelIndex).type() != ColumnType.INT) {
      throw new IllegalArgumentException("the label column \"" + labelColumn + "\" has type "
          + copy.get(labelIndex).type() + ": a label is a class number, declare the column as int");
    }
    if (classCount < CanonicalFormat.MIN_CLASSES || classCount > CanonicalFormat.MAX_CLASSES) {
      throw new IllegalArgumentException("classCount " + classCount + " is outside " + CanonicalFormat.MIN_CLASSES
          + ".." + CanonicalFormat.MAX_CLASSES + ": give the number of classes the labels come from");
    }
    return new CsvSchema(copy, labelColumn, labelIndex, classCount, headerRow);
  }

  /** The columns in file order (unmodifiable). */
  public List<Column> columns() {
    return columns;
  }

  public String labelColumn() {
    return labelColumn;
  }

  /** 0-based position of the label column. */
  public int labelIndex() {
    return labelIndex;
  }

  public int classCount() {
    return classCount;
  }

  public boolean headerRow() {
    return headerRow;
  }

  /** Columns besides the label: the canonical featureCount. */
  public int featureCount() {
    return columns.size() - 1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CsvSchema s && columns.equals(s.columns) && labelColumn.equals(s.labelColumn)
        && classCount == s.classCount && headerRow == s.headerRow;
  }

  @Override
  public int hashCode() {
    return Objects.hash(columns, labelColumn, classCount, headerRow);
  }

  @Override
  public String toString() {
    return "CsvSchema[columns=" + columns + ", label=" + labelColumn + ", classCount=" + classCount
        + ", headerRow=" + headerRow + "]";
  }
}
