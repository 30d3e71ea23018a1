package dev.rampart.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class JournalEntryTest {
  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  private static JournalEntry entry(byte[] payload) {
    return new JournalEntry(1, filled(32, 0x11), 1_700_000_000_000L, "dataset.stored", filled(32, 0x22), payload,
        new byte[] {0x30, 1, 2}, new byte[] {1, 2});
  }

  @Test
  void signedBytes_andHash_matchTheDocumentedEncoding() {
    // computed independently (Python) from docs/journal.md: u32be length ‖ bytes per field
    String expected = "0000001272616d706172742d6a6f75726e616c2f7631"
        + "000000080000000000000001"
        + "00000020" + "11".repeat(32)
        + "000000080000018bcfe56800"
        + "0000000e646174617365742e73746f726564"
        + "00000020" + "22".repeat(32)
        + "00000003300102";
    JournalEntry e = entry(null);
    assertThat(HexFormat.of().formatHex(e.signedBytes())).isEqualTo(expected);
    assertThat(e.hashHex()).isEqualTo("ddc7a4c46bb1205a2c095559c3fb1be0a932f6179fccf40d8a5000cedaada3a5");
  }

  @Test
  void redacted_dropsOnlyThePayload_andKeepsTheHash() {
    JournalEntry e = entry("{\"subjects\":[\"a\"]}".getBytes(StandardCharsets.UTF_8));
    JournalEntry r = e.redacted();
    assertThat(r.isRedacted()).isTrue();
    assertThat(r.payload()).isNull();
    assertThat(r.hash()).isEqualTo(e.hash());
    assertThat(r.signature()).isEqualTo(e.signature());
    assertThat(r).isNotEqualTo(e);
    assertThat(r.redacted()).isSameAs(r);
  }

  @Test
  void subjects_areReadFromThePayload_butNotFromARedactedEntry() {
    JournalEntry e = entry("{\"subjects\":[\"ds-1\",\"fp-2\"],\"rows\":3}".getBytes(StandardCharsets.UTF_8));
    assertThat(e.subjects()).containsExactly("ds-1", "fp-2");
    assertThat(e.payloadJson().get("rows").asInt()).isEqualTo(3);
    assertThatThrownBy(() -> e.redacted().subjects()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("redacted");
    assertThatThrownBy(() -> entry("{\"rows\":3}".getBytes(StandardCharsets.UTF_8)).subjects())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subjects");
    assertThatThrownBy(() -> entry("[1]".getBytes(StandardCharsets.UTF_8)).subjects())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("object");
    assertThatThrownBy(() -> entry("{\"subjects\":[],\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8))
        .payloadJson()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON");
  }

  @Test
  void arrays_areCopiedInAndOut() {
    byte[] prev = filled(32, 0x11);
    JournalEntry e = new JournalEntry(0, prev, 0, "boot", filled(32, 0), null, new byte[] {1}, new byte[] {2});
    prev[0] = 9;
    e.prevHash()[1] = 9;
    assertThat(e.prevHash()).isEqualTo(filled(32, 0x11));
    assertThat(e).isEqualTo(new JournalEntry(0, filled(32, 0x11), 0, "boot", filled(32, 0), null, new byte[] {1},
        new byte[] {2}));
    assertThat(e.isBoot()).isTrue();
  }

  @Test
  void outOfRangeFields_areRejectedByName() {
    byte[] h = new byte[32];
    byte[] k = {1};
    assertThatThrownBy(() -> new JournalEntry(-1, h, 0, "boot", h, null, k, k)).hasMessageContaining("seq");
    assertThatThrownBy(() -> new JournalEntry(0, new byte[31], 0, "boot", h, null, k, k))
        .hasMessageContaining("prevHash");
    assertThatThrownBy(() -> new JournalEntry(0, h, -5, "boot", h, null, k, k)).hasMessageContaining("timeMillis");
    assertThatThrownBy(() -> new JournalEntry(0, h, 0, "boot", new byte[33], null, k, k))
        .hasMessageContaining("payloadSha256");
    assertThatThrownBy(() -> new JournalEntry(0, h, 0, "boot", h, null, new byte[0], k))
        .hasMessageContaining("signerSpki");
    assertThatThrownBy(() -> new JournalEntry(0, h, 0, "boot", h, null, k, new byte[129]))
        .hasMessageContaining("signature");
    assertThatThrownBy(() -> new JournalEntry(0, h, 0, "boot", h, new byte[JournalEntry.MAX_PAYLOAD_BYTES + 1], k, k))
        .hasMessageContaining("payload");
    for (String bad : new String[] {"", "Boot", "dataset stored", "dataset..stored", ".x", "x.", "é", "a".repeat(65)}) {
      assertThatThrownBy(() -> new JournalEntry(0, h, 0, bad, h, null, k, k)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry type");
    }
    JournalEntry.requireType("approval.decided");
    JournalEntry.requireType("job.step-batch");
  }
}
