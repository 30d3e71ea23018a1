package dev.rampart.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.datasets.CsvSchema.Column;
import dev.rampart.datasets.CsvSchema.ColumnType;
import dev.rampart.datasets.DatasetFormatException.Problem;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSourceTest {
  private static final Path EXAMPLE_CSV = CsvSchemaFileTest.resource("/testdata/csv/patients.csv");
  // Canonical bytes and SHA-256 of patients.csv, laid out by an independent Python implementation
  // (float(cell) rounded to float32 by struct.pack('>f')).
  private static final String EXAMPLE_HEX = "52414d50445330310200000000000003000000020000000000000004"
      + "427e0000" + "40000000" + "41d8cccd" + "00000001"
      + "42240000" + "00000000" + "41b60000" + "00000000"
      + "42680000" + "41300000" + "bdcccccd" + "00000001"
      + "3f000000" + "c0400000" + "40e00000" + "00000000";
  private static final String EXAMPLE_SHA256 = "bd8bfb26a5154c8c237dcf76e242f17a7304e8c4783ee4966b517b9e5c9328b3";

  /** x (float), y (label, int, 3 classes), n (int); no header row unless a test says so. */
  private static final CsvSchema XYN = CsvSchema.of(List.of(new Column("x", ColumnType.FLOAT),
      new Column("y", ColumnType.INT), new Column("n", ColumnType.INT)), "y", 3, false);

  @TempDir Path dir;

  @Test
  void example_quotedFieldsCrlfLabelInTheMiddle_knownBytesAndSha256() throws Exception {
    CsvSource source = CsvSource.open(EXAMPLE_CSV, CsvSchemaFile.read(CsvSchemaFileTest.EXAMPLE));
    assertThat(source.header()).isEqualTo(new Header(FeatureType.FLOAT32, 3, 2, 4));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Summary summary = source.writeCanonical(out);
    assertThat(HexFormat.of().formatHex(out.toByteArray())).isEqualTo(EXAMPLE_HEX);
    assertThat(summary.sha256Hex()).isEqualTo(EXAMPLE_SHA256);
    assertThat(summary.classCounts()).containsExactly(2, 2);
    assertThat(CanonicalReader.validate(new ByteArrayInputStream(out.toByteArray())).sha256Hex())
        .isEqualTo(EXAMPLE_SHA256);
  }

  @Test
  void sameRowsWithLfAndCrlfAndQuotes_sameSha256() throws Exception {
    String a = sha("1.5,0,2\n-3,2,0\n");
    assertThat(sha("1.5,0,2\r\n-3,2,0\r\n")).isEqualTo(a);
    assertThat(sha("\"1.5\",\"0\",2\n-3,2,\"0\"")).isEqualTo(a);
    assertThat(sha("1.5,0,2\n-3,2,0\n")).isEqualTo(a);
    assertThat(sha("1.5,0,2\n-3,1,0\n")).isNotEqualTo(a);
  }

  @Test
  void headerRow_matching_isSkipped() throws Exception {
    CsvSchema withHeader = CsvSchema.of(XYN.columns(), "y", 3, true);
    CsvSource source = CsvSource.open(write("x,y,n\n1,2,3\n"), withHeader);
    assertThat(source.header().rowCount()).isEqualTo(1);
  }

  @Test
  void headerRow_differentName_failsNamingTheColumn() throws Exception {
    CsvSchema withHeader = CsvSchema.of(XYN.columns(), "y", 3, true);
    assertError(withHeader, "x,Y,n\n1,2,3\n", Problem.HEADER,
        "the header row's column 2 (1-based) is \"Y\", the schema says \"y\"");
    assertError(withHeader, "x,y\n1,2\n", Problem.HEADER, "the header row has 2 columns, the schema has 3");
    assertError(withHeader, "", Problem.HEADER, "is empty, but the schema says it starts with a header row");
  }

  @Test
  void emptyCell_failsNamingRowAndColumn() throws Exception {
    assertError(XYN, "1,0,1\n2,0,\n", Problem.VALUE, "data row 2 (line 2), column \"n\" is empty");
  }

  @Test
  void rowNumbers_areDataRowsNotLines() throws Exception {
    // The header is not counted, and a quoted name spanning two lines moves lines but not rows.
    CsvSchema withHeader = CsvSchema.of(List.of(new Column("x\nin cm", ColumnType.FLOAT),
        new Column("y", ColumnType.INT), new Column("n", ColumnType.INT)), "y", 3, true);
    assertError(withHeader, "\"x\nin cm\",y,n\n1,0,1\n2,0,x\n", Problem.VALUE,
        "data row 2 (line 4), column \"n\": \"x\" is not an integer");
  }

  @Test
  void nanAndInfinity_failAsNotFinite() throws Exception {
    for (String bad : List.of("NaN", "nan", "-Infinity", "inf", "+INF")) {
      assertError(XYN, "1,0,1\n" + bad + ",0,1\n", Problem.VALUE,
          "data row 2 (line 2), column \"x\": \"" + bad + "\" is not finite");
    }
  }

  @Test
  void notANumber_fails() throws Exception {
    for (String bad : List.of("abc", " 1", "1 ", "0x10", "1f", "1d", "1,5", "1e", "--1", ".", "1.2.3")) {
      String cell = bad.contains(",") ? "\"" + bad + "\"" : bad;
      assertError(XYN, cell + ",0,1\n", Problem.VALUE,
          "data row 1 (line 1), column \"x\": \"" + bad + "\" is not a number");
    }
  }

  @Test
  void floatBeyondFloat32_fails() throws Exception {
    assertError(XYN, "1e39,0,1\n", Problem.VALUE, "\"1e39\" is outside the float32 range");
  }

  @Test
  void nonIntegerInIntColumn_fails() throws Exception {
    assertError(XYN, "1,0,2.0\n", Problem.VALUE, "column \"n\": \"2.0\" is not an integer");
    assertError(XYN, "1,1e0,2\n", Problem.VALUE, "column \"y\": \"1e0\" is not an integer");
  }

  @Test
  void intFeatureBeyond2pow24_fails() throws Exception {
    CsvSource.open(write("1,0,16777216\n1,0,-16777216\n"), XYN);
    assertError(XYN, "1,0,16777217\n", Problem.VALUE, "\"16777217\" is outside ±16777216");
    assertError(XYN, "1,0,-99999999999999999999999\n", Problem.VALUE, "is outside ±16777216");
  }

  @Test
  void labelOutOfRange_fails() throws Exception {
    assertError(XYN, "1,3,1\n", Problem.LABEL, "data row 1 (line 1), column \"y\": label \"3\" is outside [0, 3)");
    assertError(XYN, "1,-1,1\n", Problem.LABEL, "label \"-1\" is outside [0, 3)");
    assertError(XYN, "1,99999999999999999999,1\n", Problem.LABEL, "is outside [0, 3)");
  }

  @Test
  void wrongColumnCount_fails() throws Exception {
    assertError(XYN, "1,0,1\n1,0\n", Problem.SHAPE, "data row 2 (line 2) has 2 columns, the schema has 3");
    assertError(XYN, "1,0,1,4,5\n", Problem.SHAPE, "data row 1 (line 1) has more than 3 columns");
  }

  @Test
  void blankLine_fails() throws Exception {
    assertError(XYN, "1,0,1\n\n2,0,1\n", Problem.SHAPE, "data row 2 (line 2) is blank");
  }

  @Test
  void longBadValue_truncatedTo40Characters() throws Exception {
    String bad = "y".repeat(100);
    assertThatThrownBy(() -> CsvSource.open(write(bad + ",0,1\n"), XYN))
        .hasMessageContaining("\"" + "y".repeat(40) + "\"... is not a number")
        .message().doesNotContain("y".repeat(41));
  }

  @Test
  void badQuoting_failsWithSyntaxNamingTheRow() throws Exception {
    assertError(XYN, "1,0,1\n2,0,\"1\"x\n", Problem.SYNTAX, "data row 2, line 2: ");
  }

  @Test
  void noDataRows_failsWithLimit() throws Exception {
    assertError(CsvSchema.of(XYN.columns(), "y", 3, true), "x,y,n\n", Problem.LIMIT, "rowCount 0");
  }

  @Test
  void fileChangedBetweenOpenAndWrite_fails() throws Exception {
    Path csv = write("1,0,1\n");
    CsvSource source = CsvSource.open(csv, XYN);
    Files.writeString(csv, "1,0,1\n2,0,1\n");
    assertThatThrownBy(() -> source.writeCanonical(OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SHAPE))
        .hasMessageContaining("no longer has the 1 data rows");
  }

  private String sha(String csv) throws Exception {
    return CsvSource.open(write(csv), XYN).writeCanonical(OutputStream.nullOutputStream()).sha256Hex();
  }

  private Path write(String csv) throws Exception {
    Path path = Files.createTempFile(dir, "data", ".csv");
    Files.write(path, csv.getBytes(StandardCharsets.UTF_8));
    return path;
  }

  private void assertError(CsvSchema schema, String csv, Problem problem, String fragment) throws Exception {
    assertThatThrownBy(() -> CsvSource.open(write(csv), schema))
        .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.problem()).isEqualTo(problem))
        .hasMessageContaining(fragment);
  }
}
