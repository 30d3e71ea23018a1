package dev.rampart.datasets;

import dev.rampart.datasets.CsvSchema.Column;
import dev.rampart.datasets.CsvSchema.ColumnType;
import dev.rampart.datasets.DatasetFormatException.Problem;
import dev.rampart.datasets.internal.CsvRecordReader;
import dev.rampart.datasets.internal.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A CSV file (RFC 4180, UTF-8) described by a {@link CsvSchema}, converting to canonical FLOAT32 records:
 * the non-label columns in schema order as features, the label column as the label.
 *
 * <p>Cells are checked strictly, because a silently misread cell changes the dataset (and its id) without
 * anyone noticing: no empty cells, no spaces around numbers, no NaN or infinities, no hex or suffixes such as
 * {@code 1f}. A {@code float} cell is {@code [+-]digits[.digits][(e|E)[+-]digits]} (digits may be omitted on one
 * side of the point), parsed by {@link Double#parseDouble} and rounded to the nearest float32, which must be
 * finite. An {@code int} cell is {@code [+-]digits}; as a feature within ±2^24 (so float32 holds it exactly), as
 * the label in [0, classCount). Errors name the 1-based data row (the header row is not counted) with the line
 * it starts on, the column, and the bad value.
 *
 * <p>The file is read twice: by {@link #open}, which validates everything and counts the rows the header
 * needs, and by {@link #writeCanonical}, which checks again while writing. Memory does not grow with the file.
 */
public final class CsvSource implements DatasetSource {
  /** Longest cell accepted, in characters: far beyond any number, small enough to bound memory. */
  public static final int MAX_CELL_CHARS = 4096;

  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
  private static final Pattern NON_FINITE = Pattern.compile("[+-]?(?:nan|inf|infinity)", Pattern.CASE_INSENSITIVE);
  /** Integers of larger magnitude are not all representable in float32 (24-bit significand). */
  private static final long MAX_EXACT_INT = 1L << 24;

  private final Path csv;
  private final CsvSchema schema;
  private final Header header;

  private CsvSource(Path csv, CsvSchema schema, Header header) {
    this.csv = csv;
    this.schema = schema;
    this.header = header;
  }

  /**
   * Reads and validates the whole file and counts its data rows.
   *
   * @throws DatasetFormatException at the first defect: {@link Problem#HEADER} for a header row that does not
   *     match the schema, {@link Problem#SHAPE} for a wrong column count, {@link Problem#VALUE} or
   *     {@link Problem#LABEL} for a bad cell, {@link Problem#SYNTAX} for bad quoting or UTF-8,
   *     {@link Problem#LIMIT} for no data rows or too many
   */
  public static CsvSource open(Path csv, CsvSchema schema) throws IOException, DatasetFormatException {
    long rows = scan(csv, schema, null, -1);
    String problem = Header.problem(FeatureType.FLOAT32, schema.featureCount(), schema.classCount(), rows);
    if (problem != null) {
      throw new DatasetFormatException(Problem.LIMIT, csv.getFileName() + ": " + problem);
    }
    return new CsvSource(csv, schema,
        new Header(FeatureType.FLOAT32, schema.featureCount(), schema.classCount(), rows));
  }

  public CsvSchema schema() {
    return schema;
  }

  @Override
  public Header header() {
    return header;
  }

  @Override
  public Summary writeCanonical(OutputStream out) throws IOException, DatasetFormatException {
    CanonicalWriter writer = CanonicalWriter.open(out, header);
    scan(csv, schema, writer, header.rowCount());
    return writer.finish();
  }

  /**
   * Validates every row, hands each to {@code writer} if there is one, and returns the number of data rows.
   * {@code expectedRows} (or -1) is what {@link #open} counted: a different count means the file changed.
   */
  private static long scan(Path csv, CsvSchema schema, CanonicalWriter writer, long expectedRows)
      throws IOException, DatasetFormatException {
    String file = String.valueOf(csv.getFileName());
    List<Column> columns = schema.columns();
    // Stop at the first row beyond what the format can hold, rather than read a huge file to the end first.
    long rowBytes = 4L * schema.featureCount() + 4;
    long maxRows = Math.min(CanonicalFormat.MAX_ROWS,
        (CanonicalFormat.MAX_TOTAL_BYTES - CanonicalFormat.HEADER_BYTES) / rowBytes);
    try (InputStream in = Files.newInputStream(csv)) {
      CsvRecordReader reader = new CsvRecordReader(in, columns.size(), MAX_CELL_CHARS);
      if (schema.headerRow()) {
        checkHeaderRow(file, columns, reader);
      }
      float[] features = new float[schema.featureCount()];
      long row = 0;
      List<String> cells;
      while ((cells = next(file, reader, row + 1)) != null) {
        row++;
        String where = file + ": data row " + row + " (line " + reader.recordLine() + ")";
        if (row > maxRows) {
          throw new DatasetFormatException(Problem.LIMIT, where + ": more rows than a dataset may hold ("
              + maxRows + " for " + schema.featureCount() + " features, at most "
              + CanonicalFormat.MAX_TOTAL_BYTES + " bytes): split the file into several datasets");
        }
        if (expectedRows >= 0 && row > expectedRows) {
          throw changed(file, expectedRows);
        }
        if (cells.size() == 1 && cells.get(0).isEmpty() && columns.size() > 1) {
          throw new DatasetFormatException(Problem.SHAPE, where + " is blank: remove blank lines");
        }
        if (cells.size() != columns.size()) {
          throw new DatasetFormatException(Problem.SHAPE, where + " has "
              + (cells.size() > columns.size() ? "more than " + columns.size() : cells.size())
              + " columns, the schema has " + columns.size() + ": check that the delimiter is a comma and that"
              + " cells holding commas are quoted");
        }
        int label = -1;
        int f = 0;
        for (int i = 0; i < columns.size(); i++) {
          Column column = columns.get(i);
          String cell = cells.get(i);
          String at = where + ", column " + Messages.quote(column.name());
          if (i == schema.labelIndex()) {
            long value = parseInt(at, cell);
            if (value < 0 || value >= schema.classCount()) {
              throw new DatasetFormatException(Problem.LABEL, at + ": label " + Messages.quote(cell)
                  + " is outside [0, " + schema.classCount() + "): labels are 0.." + (schema.classCount() - 1)
                  + "; fix the row or the schema's classCount");
            }
            label = (int) value;
          } else if (column.type() == ColumnType.INT) {
            long value = parseInt(at, cell);
            if (Math.abs(value) > MAX_EXACT_INT) {
              throw new DatasetFormatException(Problem.VALUE, at + ": " + Messages.quote(cell) + " is outside ±"
                  + MAX_EXACT_INT + ", the integers float32 holds exactly: declare the column float or rescale"
                  + " it");
            }
            features[f++] = value;
          } else {
            features[f++] = parseFloat(at, cell);
          }
        }
        if (writer != null) {
          writer.writeRow(features, label);
        }
      }
      if (expectedRows >= 0 && row != expectedRows) {
        throw changed(file, expectedRows);
      }
      return row;
    }
  }

  private static void checkHeaderRow(String file, List<Column> columns, CsvRecordReader reader)
      throws IOException, DatasetFormatException {
    List<String> names = next(file, reader, 0);
    if (names == null) {
      throw new DatasetFormatException(Problem.HEADER, file + " is empty, but the schema says it starts with a"
          + " header row: add the header row and the data, or check the file");
    }
    if (names.size() != columns.size()) {
      throw new DatasetFormatException(Problem.HEADER, file + ": the header row has "
          + (names.size() > columns.size() ? "more than " + columns.size() : names.size())
          + " columns, the schema has " + columns.size() + ": make them match, or set \"header\": false if the"
          + " first line is data");
    }
    for (int i = 0; i < columns.size(); i++) {
      if (!names.get(i).equals(columns.get(i).name())) {
        throw new DatasetFormatException(Problem.HEADER, file + ": the header row's column " + (i + 1)
            + " (1-based) is " + Messages.quote(names.get(i)) + ", the schema says "
            + Messages.quote(columns.get(i).name()) + ": names must match exactly, in order (case and spaces"
            + " count)");
      }
    }
  }

  private static List<String> next(String file, CsvRecordReader reader, long row)
      throws IOException, DatasetFormatException {
    try {
      return reader.next();
    } catch (CsvRecordReader.SyntaxException e) {
      String where = row == 0 ? "the header row" : "data row " + row;
      throw new DatasetFormatException(Problem.SYNTAX, file + ": " + where + ", " + e.getMessage(), e);
    }
  }

  private static long parseInt(String at, String cell) throws DatasetFormatException {
    checkPresent(at, cell);
    if (!INTEGER.matcher(cell).matches()) {
      throw new DatasetFormatException(Problem.VALUE, at + ": " + Messages.quote(cell) + " is not an integer:"
          + " the schema declares this column int, which takes digits only (like 3 or -2)");
    }
    String digits = cell.replaceFirst("^[+-]?0*", "");
    if (digits.length() > 18) {
      return cell.startsWith("-") ? Long.MIN_VALUE + 1 : Long.MAX_VALUE; // out of every range checked later
    }
    return Long.parseLong(cell);
  }

  private static float parseFloat(String at, String cell) throws DatasetFormatException {
    checkPresent(at, cell);
    if (!DECIMAL.matcher(cell).matches()) {
      if (NON_FINITE.matcher(cell).matches()) {
        throw new DatasetFormatException(Problem.VALUE, at + ": " + Messages.quote(cell) + " is not finite:"
            + " NaN and infinities are not allowed; impute a value or drop the row");
      }
      throw new DatasetFormatException(Problem.VALUE, at + ": " + Messages.quote(cell) + " is not a number:"
          + " write decimals like 12.5, -3 or 1e-3 (no spaces, no thousands separators)");
    }
    float value = (float) Double.parseDouble(cell);
    if (!Float.isFinite(value)) {
      throw new DatasetFormatException(Problem.VALUE, at + ": " + Messages.quote(cell) + " is outside the"
          + " float32 range (about ±3.4e38): rescale the column");
    }
    return value;
  }

  private static void checkPresent(String at, String cell) throws DatasetFormatException {
    if (cell.isEmpty()) {
      throw new DatasetFormatException(Problem.VALUE, at + " is empty: fill in a value or drop the row");
    }
  }

  private static DatasetFormatException changed(String file, long expectedRows) {
    return new DatasetFormatException(Problem.SHAPE, file + " no longer has the " + expectedRows
        + " data rows it had when it was opened: convert a file that nobody is writing to");
  }
}
