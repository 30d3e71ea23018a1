package dev.rampart.accountant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerFormatTest {
  @TempDir Path dir;

  private static PrivacyLedger sample() throws BudgetExceededException {
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("3f2a9c01", new PrivacyBudget(3.0, 1e-5));
    ledger.open("b4nk", new PrivacyBudget(0.7000000000000001, 1e-6));
    ledger.open("unused", new PrivacyBudget(1.0, 1e-5));
    ledger.charge("3f2a9c01", new Segment(256.0 / 60_000, 1.1, 1000));
    ledger.charge("3f2a9c01", new Segment(0.013, 0.93, 77));
    ledger.charge("b4nk", new Segment(0.001, 2.5, 3));
    return ledger;
  }

  private static String text(PrivacyLedger ledger) throws IOException {
    StringWriter w = new StringWriter();
    LedgerFormat.write(ledger, w);
    return w.toString();
  }

  @Test
  void roundTrip_restoresEveryBitOfSpentEpsilon() throws Exception {
    PrivacyLedger original = sample();
    PrivacyLedger restored = LedgerFormat.read(new StringReader(text(original)));
    assertThat(restored.datasets()).isEqualTo(original.datasets());
    for (String id : original.datasets()) {
      assertThat(restored.budget(id)).isEqualTo(original.budget(id));
      assertThat(restored.history(id)).isEqualTo(original.history(id));
      assertThat(Double.doubleToRawLongBits(restored.spent(id).epsilon()))
          .isEqualTo(Double.doubleToRawLongBits(original.spent(id).epsilon()));
    }
    assertThat(text(restored)).isEqualTo(text(original));
  }

  @Test
  void roundTrip_keepsACustomGridAndConversion() throws Exception {
    PrivacyLedger custom = new PrivacyLedger(RdpAccountant.of(Orders.of(1.5, 2.25, 8, 100), Conversion.CLASSIC));
    custom.open("d", new PrivacyBudget(9.0, 1e-5));
    custom.charge("d", new Segment(0.1, 2.0, 10));
    PrivacyLedger restored = LedgerFormat.read(new StringReader(text(custom)));
    assertThat(restored.accountant().orders()).isEqualTo(Orders.of(1.5, 2.25, 8, 100));
    assertThat(restored.accountant().conversion()).isEqualTo(Conversion.CLASSIC);
    assertThat(restored.spent("d")).isEqualTo(custom.spent("d"));
  }

  @Test
  void format_isPlainAndVersioned() throws Exception {
    String t = text(sample());
    assertThat(t).startsWith("rampart-privacy-ledger 1\nconversion improved\norders 1.1 1.2 ");
    assertThat(t).contains("dataset 3f2a9c01 epsilon=3.0 delta=1.0E-5\n")
        .contains("segment 3f2a9c01 sample-rate=0.013 noise-multiplier=0.93 steps=77\n")
        .endsWith("end datasets=3 segments=3\n");
  }

  @Test
  void truncatedFile_isRefused() throws Exception {
    String t = text(sample());
    for (int cut : new int[] {0, 10, t.indexOf("dataset"), t.indexOf("end"), t.length() - 5}) {
      String partial = t.substring(0, cut);
      assertThatThrownBy(() -> LedgerFormat.read(new StringReader(partial)))
          .as("cut at %d", cut).isInstanceOf(LedgerFormatException.class);
    }
  }

  @Test
  void droppedSegmentLine_isDetected() throws Exception {
    String t = text(sample()).replaceFirst("segment b4nk [^\n]*\n", "");
    assertThatThrownBy(() -> LedgerFormat.read(new StringReader(t)))
        .isInstanceOf(LedgerFormatException.class).hasMessageContaining("end line");
  }

  @Test
  void malformedContent_isRefusedWithTheLine() throws Exception {
    String t = text(sample());
    String[][] edits = {
      {"rampart-privacy-ledger 1", "rampart-privacy-ledger 2"},
      {"rampart-privacy-ledger 1", "something-else 1"},
      {"conversion improved", "conversion best"},
      {"steps=77", "steps=-77"},
      {"steps=77", "steps=7.7"},
      {"noise-multiplier=0.93", "noise-multiplier=abc"},
      {"noise-multiplier=0.93", "noise-multiplier=0x1p1"},
      {"sample-rate=0.013", "sample-rate=1.3"},
      {"delta=1.0E-6", "delta=0.0"},
      {"orders 1.1 1.2", "orders 1.2 1.1"},
      {"segment b4nk", "segment ghost"},
      {"dataset unused", "datum unused"},
      {"dataset 3f2a9c01 epsilon=3.0", "dataset 3f2a9c01 epsilon=0.01"}, // over budget
    };
    for (String[] edit : edits) {
      String bad = t.replace(edit[0], edit[1]);
      assertThat(bad).isNotEqualTo(t);
      assertThatThrownBy(() -> LedgerFormat.read(new StringReader(bad)))
          .as(edit[1]).isInstanceOf(LedgerFormatException.class).hasMessageMatching("(?s).*(line|ledger).*");
    }
    assertThatThrownBy(() -> LedgerFormat.read(new StringReader(t + "dataset late epsilon=1.0 delta=1.0E-5\n")))
        .hasMessageContaining("after the 'end' line");
    assertThatThrownBy(() -> LedgerFormat.read(new StringReader(t.replace("rampart-privacy-ledger 1",
        "rampart-privacy-ledger 2")))).hasMessageContaining("version 2 is not supported");
  }

  @Test
  void saveAndLoad_replaceTheFileAtomically() throws Exception {
    Path file = dir.resolve("ledger.txt");
    PrivacyLedger ledger = sample();
    LedgerFormat.save(ledger, file);
    String first = Files.readString(file, StandardCharsets.UTF_8);
    ledger.charge("unused", new Segment(0.05, 3.0, 10));
    LedgerFormat.save(ledger, file);
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).isNotEqualTo(first).contains("segment unused");
    assertThat(LedgerFormat.load(file).spent("unused")).isEqualTo(ledger.spent("unused"));
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file); // no temporary files left behind
    }
  }

  @Test
  void loadingACorruptFile_leavesItIntact() throws Exception {
    Path file = dir.resolve("ledger.txt");
    Files.writeString(file, "rampart-privacy-ledger 1\nconversion improved\n", StandardCharsets.UTF_8);
    byte[] before = Files.readAllBytes(file);
    assertThatThrownBy(() -> LedgerFormat.load(file)).isInstanceOf(LedgerFormatException.class)
        .hasMessageContaining("truncated");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }
}
