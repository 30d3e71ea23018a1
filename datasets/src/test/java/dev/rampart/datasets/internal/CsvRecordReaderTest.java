package dev.rampart.datasets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvRecordReaderTest {

  @Test
  void quotedFields_commasNewlinesAndDoubledQuotes() throws Exception {
    assertThat(records("a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\"\"\n"))
        .containsExactly(List.of("a", "b,c", "say \"hi\"", "two\nlines", ""));
  }

  @Test
  void crlfAndLf_giveTheSameRecords() throws Exception {
    assertThat(records("a,b\r\n1,2\r\n")).isEqualTo(records("a,b\n1,2\n")).containsExactly(
        List.of("a", "b"), List.of("1", "2"));
  }

  @Test
  void lastLineWithoutNewline_isARecord() throws Exception {
    assertThat(records("1,2\n3,4")).containsExactly(List.of("1", "2"), List.of("3", "4"));
  }

  @Test
  void emptyFieldsAndBlankLine() throws Exception {
    assertThat(records(",\n\n")).containsExactly(List.of("", ""), List.of(""));
  }

  @Test
  void byteOrderMark_skipped() throws Exception {
    assertThat(records("\uFEFFa,b\n")).containsExactly(List.of("a", "b"));
  }

  @Test
  void recordLine_countsNewlinesInsideQuotes() throws Exception {
    CsvRecordReader r = reader("\"a\nb\",1\nc,2\n", 5);
    r.next();
    assertThat(r.recordLine()).isEqualTo(1);
    r.next();
    assertThat(r.recordLine()).isEqualTo(3);
  }

  @Test
  void bareCarriageReturn_fails() {
    assertThatThrownBy(() -> records("a,b\rc,d\n")).hasMessageContaining("line 1: a carriage return not followed");
  }

  @Test
  void quoteInsideUnquotedField_fails() {
    assertThatThrownBy(() -> records("a,b\"c\n")).hasMessageContaining("a quote inside an unquoted field");
  }

  @Test
  void textAfterClosingQuote_fails() {
    assertThatThrownBy(() -> records("\"a\"b,c\n")).hasMessageContaining("\"b\" after a closing quote");
  }

  @Test
  void unclosedQuote_failsNamingTheLineItOpened() {
    assertThatThrownBy(() -> records("x\n\"abc,\n\n")).hasMessageContaining("opened on line 2 is never closed");
  }

  @Test
  void overlongField_fails() {
    assertThatThrownBy(() -> reader("1234567890A,b\n", 5, 10).next()).hasMessageContaining("longer than 10");
  }

  @Test
  void tooManyFields_returnedCutAfterMaxPlusOne() throws Exception {
    assertThat(reader("1,2,3,4,5,6\n", 3).next()).containsExactly("1", "2", "3", "4");
  }

  @Test
  void invalidUtf8_fails() {
    byte[] bad = {'a', ',', (byte) 0xC3, '(', '\n'};
    assertThatThrownBy(() -> new CsvRecordReader(new ByteArrayInputStream(bad), 5, 100).next())
        .isInstanceOf(CsvRecordReader.SyntaxException.class).hasMessageContaining("not valid UTF-8");
  }

  private static List<List<String>> records(String text) throws Exception {
    CsvRecordReader r = reader(text, 100);
    List<List<String>> out = new ArrayList<>();
    List<String> rec;
    while ((rec = r.next()) != null) {
      out.add(rec);
    }
    return out;
  }

  private static CsvRecordReader reader(String text, int maxFields) {
    return reader(text, maxFields, 4096);
  }

  private static CsvRecordReader reader(String text, int maxFields, int maxChars) {
    return new CsvRecordReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), maxFields, maxChars);
  }
}
