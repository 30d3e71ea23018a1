package dev.rampart.datasets;

/**
 * Input data (a canonical stream, an IDX or CSV file, a CSV schema) is not acceptable.
 *
 * <p>The message is written for the person who owns the data: it says where (the record or row, numbered as
 * the message states: 0-based record index for canonical and IDX data, 1-based data row for CSV, header not
 * counted), which feature or column when one is to blame, what was wrong (the bad value quoted, at most 40
 * characters), and what to do about it. {@link #problem()} says the same thing to a program.
 *
 * <p>It is checked because every caller reads data it did not produce and must decide what to tell the owner;
 * I/O failures of the underlying stream stay {@link java.io.IOException}s.
 */
public final class DatasetFormatException extends dev.rampart.common.RampartException {
  private static final long serialVersionUID = 1L;

  /** The kind of defect, for programs that react to it (the coordinator's status codes, tests). */
  public enum Problem {
    /** Magic, type or reserved bytes of a header are wrong, or a CSV header row does not match the schema. */
    HEADER,
    /** A declared size is outside the {@link CanonicalFormat} limits. */
    LIMIT,
    /** The data ends before everything the header declares has been read. */
    TRUNCATED,
    /** Bytes follow the last declared record. */
    TRAILING_DATA,
    /** A record or row has the wrong number of features/columns, or two files disagree on a count. */
    SHAPE,
    /** A feature value is empty, not a number, not finite, out of range, or not an integer where one is needed. */
    VALUE,
    /** A label is outside [0, classCount). */
    LABEL,
    /** The text is not well-formed (CSV quoting, JSON syntax, UTF-8, gzip). */
    SYNTAX,
    /** A CSV schema is well-formed JSON but does not describe a usable dataset. */
    SCHEMA
  }

  private final Problem problem;

  public DatasetFormatException(Problem problem, String message) {
    super(message);
    this.problem = problem;
  }

  public DatasetFormatException(Problem problem, String message, Throwable cause) {
    super(message, cause);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }
}
