package dev.rampart.datasets;

import dev.rampart.datasets.CsvSchema.Column;
import dev.rampart.datasets.CsvSchema.ColumnType;
import dev.rampart.datasets.DatasetFormatException.Problem;
import dev.rampart.datasets.internal.Json;
import dev.rampart.datasets.internal.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link CsvSchema} from its file form: one JSON object (UTF-8, strict RFC 8259) with exactly these
 * members, all required:
 *
 * <pre>
 * {
 *   "columns": [ {"name": "age", "type": "float"},
 *                {"name": "visits", "type": "int"},
 *                {"name": "diagnosis", "type": "int"} ],
 *   "label": "diagnosis",
 *   "classCount": 2,
 *   "header": true
 * }
 * </pre>
 *
 * {@code columns} lists every CSV column in file order, each with exactly {@code name} (non-empty, unique) and
 * {@code type} ({@code "float"} or {@code "int"}); {@code label} names an int column; {@code classCount} is an
 * integer 2..65535; {@code header} says whether the first CSV line names the columns. Unknown members are
 * refused, so a misspelt one cannot be silently ignored. At most {@value #MAX_SCHEMA_BYTES} bytes.
 */
public final class CsvSchemaFile {
  /** Largest schema file accepted (room for a million columns). */
  public static final int MAX_SCHEMA_BYTES = 64 << 20;

  private static final int MAX_DEPTH = 8;
  private static final Set<String> MEMBERS = Set.of("columns", "label", "classCount", "header");
  private static final Set<String> COLUMN_MEMBERS = Set.of("name", "type");

  private CsvSchemaFile() {}

  /** Reads the schema file at {@code path}; messages name the file. */
  public static CsvSchema read(Path path) throws IOException, DatasetFormatException {
    String where = "schema " + path.getFileName();
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_SCHEMA_BYTES + 1);
    }
    if (bytes.length > MAX_SCHEMA_BYTES) {
      throw new DatasetFormatException(Problem.SCHEMA, where + " is larger than " + MAX_SCHEMA_BYTES
          + " bytes: this is not a schema file");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new DatasetFormatException(Problem.SYNTAX, where + " is not valid UTF-8: save it as UTF-8", e);
    }
    return parse(text, where);
  }

  /** Parses schema JSON text; messages say "schema". */
  public static CsvSchema parse(String json) throws DatasetFormatException {
    return parse(json, "schema");
  }

  private static CsvSchema parse(String json, String where) throws DatasetFormatException {
    if (json.length() > MAX_SCHEMA_BYTES) {
      throw new DatasetFormatException(Problem.SCHEMA, where + " is longer than " + MAX_SCHEMA_BYTES
          + " characters: this is not a schema");
    }
    Object root;
    try {
      root = Json.parse(json, MAX_DEPTH);
    } catch (Json.SyntaxException e) {
      throw new DatasetFormatException(Problem.SYNTAX, where + ", " + e.getMessage() + ": fix the JSON", e);
    }
    Map<String, Object> top = object(root, where, "the top level");
    checkMembers(top, MEMBERS, where, "the top level");
    List<Object> columnValues = array(top.get("columns"), where, "\"columns\"");
    List<Column> columns = new ArrayList<>(columnValues.size());
    for (int i = 0; i < columnValues.size(); i++) {
      String path = "\"columns\"[" + i + "]";
      Map<String, Object> c = object(columnValues.get(i), where, path);
      checkMembers(c, COLUMN_MEMBERS, where, path);
      String name = string(c.get("name"), where, path + ".name");
      String type = string(c.get("type"), where, path + ".type");
      ColumnType columnType;
      if (type.equals("float")) {
        columnType = ColumnType.FLOAT;
      } else if (type.equals("int")) {
        columnType = ColumnType.INT;
      } else {
        throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + ".type is " + Messages.quote(type)
            + ": use \"float\" or \"int\"");
      }
      if (name.isEmpty()) {
        throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + ".name is empty: name every"
            + " column as the CSV header does");
      }
      columns.add(new Column(name, columnType));
    }
    String label = string(top.get("label"), where, "\"label\"");
    int classCount = integer(top.get("classCount"), where, "\"classCount\"");
    Object header = top.get("header");
    if (!(header instanceof Boolean)) {
      throw new DatasetFormatException(Problem.SCHEMA, where + ": \"header\" is " + describe(header)
          + ": use true if the CSV's first line names the columns, false if it is data");
    }
    try {
      return CsvSchema.of(columns, label, classCount, (Boolean) header);
    } catch (IllegalArgumentException e) {
      throw new DatasetFormatException(Problem.SCHEMA, where + ": " + e.getMessage(), e);
    }
  }

  private static void checkMembers(Map<String, Object> object, Set<String> expected, String where, String path)
      throws DatasetFormatException {
    for (String name : object.keySet()) {
      if (!expected.contains(name)) {
        throw new DatasetFormatException(Problem.SCHEMA, where + ": unknown member " + Messages.quote(name)
            + " in " + path + ": the members are " + sorted(expected) + "; check the spelling");
      }
    }
    for (String name : sorted(expected)) {
      if (!object.containsKey(name)) {
        throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + " lacks \"" + name
            + "\": the members " + sorted(expected) + " are all required");
      }
    }
  }

  private static List<String> sorted(Set<String> names) {
    return names.stream().sorted().toList();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object value, String where, String path)
      throws DatasetFormatException {
    if (!(value instanceof Map)) {
      throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + " is " + describe(value)
          + ", expected a JSON object {...}");
    }
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> array(Object value, String where, String path) throws DatasetFormatException {
    if (!(value instanceof List)) {
      throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + " is " + describe(value)
          + ", expected a JSON array [...]");
    }
    return (List<Object>) value;
  }

  private static String string(Object value, String where, String path) throws DatasetFormatException {
    if (!(value instanceof String)) {
      throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + " is " + describe(value)
          + ", expected a string in double quotes");
    }
    return (String) value;
  }

  private static int integer(Object value, String where, String path) throws DatasetFormatException {
    // compareTo looks at exponents before digits, so even 1e999999999 is refused cheaply.
    if (!(value instanceof BigDecimal)
        || ((BigDecimal) value).compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0
        || ((BigDecimal) value).compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) < 0
        || ((BigDecimal) value).scale() > 0) {
      throw new DatasetFormatException(Problem.SCHEMA, where + ": " + path + " is " + describe(value)
          + ", expected an integer without a fractional part, like 10");
    }
    return ((BigDecimal) value).intValueExact();
  }

  private static String describe(Object value) {
    if (value instanceof String s) {
      return "the string " + Messages.quote(s);
    }
    if (value instanceof BigDecimal n) {
      return "the number " + Messages.quote(n.toString());
    }
    if (value instanceof Map) {
      return "an object";
    }
    if (value instanceof List) {
      return "an array";
    }
    return String.valueOf(value); // true, false, null
  }
}

