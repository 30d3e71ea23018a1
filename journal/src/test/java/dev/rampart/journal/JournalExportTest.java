package dev.rampart.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalExportTest {
  @TempDir
  Path dir;
  List<JournalEntry> journal;

  @BeforeEach
  void setUp() throws Exception {
    journal = Fixtures.sampleJournal(dir.resolve("journal.bin"), Fixtures.aead(), Fixtures.p256());
  }

  private static String write(List<JournalEntry> entries) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JournalExport.write(entries, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static List<JournalEntry> read(String text) throws Exception {
    return JournalExport.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  private String header() {
    return "{\"format\":\"" + JournalExport.FORMAT + "\"}\n";
  }

  @Test
  void writeThenRead_givesTheSameEntries_includingRedactedOnes() throws Exception {
    List<JournalEntry> exported = journal.stream()
        .map(e -> e.isBoot() || Journal.concerning(Set.of("owner-a")).test(e) ? e : e.redacted()).toList();
    String text = write(exported);
    assertThat(text).startsWith(header()).endsWith("\n");
    assertThat(text.lines()).hasSize(7);
    assertThat(text.lines().skip(3).findFirst().orElseThrow()).contains("\"payload\":null");
    List<JournalEntry> back = read(text);
    assertThat(back).containsExactlyElementsOf(exported);
    assertThat(JournalVerifier.verify(back, Fixtures.policy()).ok()).isTrue();
  }

  @Test
  void anExportWithNoEntries_isOnlyTheHeader() throws Exception {
    assertThat(write(List.of())).isEqualTo(header());
    assertThat(read(header())).isEmpty();
  }

  @Test
  void notAnExport_isRefusedAtLineOne() {
    for (String bad : new String[] {"", "{\"format\":\"something-else\"}\n", "[]\n", "{\"format\":\""
        + JournalExport.FORMAT + "\",\"x\":1}\n"}) {
      assertThatThrownBy(() -> read(bad)).as(bad).isInstanceOfSatisfying(JournalExportException.class,
          e -> assertThat(e.line()).isEqualTo(1));
    }
  }

  @Test
  void malformedLines_areNamedByNumber() throws Exception {
    String good = write(journal.subList(0, 2));
    String second = good.lines().skip(2).findFirst().orElseThrow();
    String[][] cases = {
      {second.replace("\"seq\":1", "\"seq\":-1"), "seq"},
      {second.replace("\"seq\":1", "\"seq\":\"1\""), "seq"},
      {second.replace("\"prevHash\":\"", "\"prevHash\":\"zz"), "prevHash"},
      {second.replace("\"signature\":\"", "\"signature\":\"!"), "signature"},
      {second.replace("\"type\":\"principal.enrolled\"", "\"type\":\"Principal Enrolled\""), "entry type"},
      {second.replace("{\"seq\"", "{\"extra\":1,\"seq\""), "unknown key 'extra'"},
      {second.replaceAll("\"payload\":\"[^\"]*\",", ""), "'payload' is missing"},
      {second.replace("\"prevHash\":\"", "\"prevHash\":\"00"), "prevHash"},
      {second + " trailing", "JSON"},
      {second.substring(0, second.length() - 5), "JSON"},
      {"", "empty line"},
      {"{\"seq\":1,\"seq\":2}", "JSON"},
    };
    String first = good.lines().skip(1).findFirst().orElseThrow();
    for (String[] c : cases) {
      String text = header() + first + "\n" + c[0] + "\n";
      assertThatThrownBy(() -> read(text)).as(c[1]).isInstanceOfSatisfying(JournalExportException.class, e -> {
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.getMessage()).contains("line 3").contains(c[1]);
      });
    }
  }

  @Test
  void aFileCutShort_isRefused() throws Exception {
    String text = write(journal);
    String cut = text.substring(0, text.length() - 1);
    assertThatThrownBy(() -> read(cut)).isInstanceOfSatisfying(JournalExportException.class, e -> {
      assertThat(e.line()).isEqualTo(7);
      assertThat(e.getMessage()).contains("cut short");
    });
  }

  @Test
  void anOverlongLine_isRefusedWithoutReadingItWhole() {
    byte[] big = new byte[JournalExport.MAX_LINE_BYTES + 10];
    java.util.Arrays.fill(big, (byte) 'a');
    byte[] h = header().getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[h.length + big.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(big, 0, all, h.length, big.length);
    assertThatThrownBy(() -> JournalExport.read(new ByteArrayInputStream(all)))
        .isInstanceOfSatisfying(JournalExportException.class, e -> {
          assertThat(e.line()).isEqualTo(2);
          assertThat(e.getMessage()).contains("longer than");
        });
  }
}
