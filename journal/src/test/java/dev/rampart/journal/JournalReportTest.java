package dev.rampart.journal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.attestation.Platform;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class JournalReportTest {
  @Test
  void summary_namesProblemsBootsAndTheAnchorToKeep() {
    JournalAnchor last = new JournalAnchor(7, new byte[32]);
    JournalReport r = new JournalReport(8, 5,
        List.of(new JournalReport.Boot(0, Instant.EPOCH, Platform.SIMULATED, "ab", true, true)),
        List.of(new JournalProblem(3, JournalProblem.Kind.CHAIN, "broken")), List.of("a warning"), last);
    assertThat(r.ok()).isFalse();
    assertThat(r.insecure()).isTrue();
    assertThat(r.summary()).contains("FAILED: 1 problem").contains("8 entries, 1 boot, 5 visible in full")
        .contains("seq 3 [chain]: broken").contains("simulated").contains("INSECURE").contains("a warning")
        .contains("keep this one: " + last);
  }

  @Test
  void emptyJournal_hasNoAnchor() {
    JournalReport r = new JournalReport(0, 0, List.of(), List.of(), List.of(), null);
    assertThat(r.last()).isEmpty();
    assertThat(r.insecure()).isFalse();
    assertThat(r.truncationNotice()).startsWith("the journal is empty");
  }
}
