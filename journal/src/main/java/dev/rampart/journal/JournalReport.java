package dev.rampart.journal;

import dev.rampart.attestation.Platform;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What {@link JournalVerifier} found: the problems, each naming its seq (none means the journal verified), what
 * the journal holds, and the anchor of its last entry. Immutable.
 */
public final class JournalReport {
  private final int entries;
  private final int visibleEntries;
  private final List<Boot> boots;
  private final List<JournalProblem> problems;
  private final List<String> warnings;
  private final JournalAnchor last;

  /**
   * One boot entry: a start of the coordinator with a new attested key.
   *
   * @param platform what the evidence turned out to be ({@link Platform#SIMULATED} for the simulated TEE), or
   *     null if it could not be parsed
   * @param measurementHex the measurement the evidence states, empty if it could not be parsed
   * @param insecure true for simulated evidence: nothing protected the coordinator
   * @param attested true if the evidence verified under the policy and bound this boot's nonce and key
   */
  public record Boot(long seq, Instant time, Platform platform, String measurementHex, boolean insecure,
      boolean attested) {}

  JournalReport(int entries, int visibleEntries, List<Boot> boots, List<JournalProblem> problems,
      List<String> warnings, JournalAnchor last) {
    this.entries = entries;
    this.visibleEntries = visibleEntries;
    this.boots = List.copyOf(boots);
    this.problems = List.copyOf(problems);
    this.warnings = List.copyOf(warnings);
    this.last = last;
  }

  /** Whether every check passed. */
  public boolean ok() {
    return problems.isEmpty();
  }

  public List<JournalProblem> problems() {
    return problems;
  }

  /** How many entries the journal holds. */
  public int entries() {
    return entries;
  }

  /** How many entries came with their payload (the rest were redacted for this reader). */
  public int visibleEntries() {
    return visibleEntries;
  }

  public List<Boot> boots() {
    return boots;
  }

  /** Whether any boot ran on the INSECURE simulated TEE. */
  public boolean insecure() {
    return boots.stream().anyMatch(Boot::insecure);
  }

  /** Things a person should know that are not problems (the attestation's warnings, deduplicated). */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * The last entry's seq and hash: keep it, and pass it to the next verification as the anchor; empty for an
   * empty journal.
   */
  public Optional<JournalAnchor> last() {
    return Optional.ofNullable(last);
  }

  /**
   * What no verification can show: the journal has no monotonic counter, so entries cut off its end (or the
   * whole file rolled back to an older copy) leave a journal that verifies. Only comparing with a point seen
   * earlier shows it.
   */
  public String truncationNotice() {
    return (last == null ? "the journal is empty" : "the journal ends at seq " + last.seq() + " with hash "
        + last.hashHex()) + ". Entries cut off after the end, or a rollback of the whole journal, cannot be"
        + " detected from the journal alone (there is no monotonic counter): compare with the last seq and hash"
        + " you saw before, or verify with that anchor" + (last == null ? "" : "; keep this one: " + last);
  }

  /** A few lines for a person: counts, boots, problems, warnings, the truncation notice. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append(ok() ? "OK" : "FAILED: " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s"))
        .append(": ").append(entries).append(" entries, ").append(boots.size()).append(" boot")
        .append(boots.size() == 1 ? "" : "s").append(", ").append(visibleEntries).append(" visible in full")
        .append(insecure() ? "; INSECURE: a boot ran on the simulated TEE" : "").append('\n');
    for (Boot b : boots) {
      s.append("  boot seq ").append(b.seq()).append(" at ").append(b.time()).append(": ")
          .append(b.platform() == null ? "unparsed evidence" : b.platform().id()).append(", measurement ")
          .append(b.measurementHex().isEmpty() ? "unknown" : b.measurementHex())
          .append(b.attested() ? ", attested" : ", NOT attested").append(b.insecure() ? ", INSECURE" : "")
          .append('\n');
    }
    for (JournalProblem p : problems) {
      s.append("  problem: ").append(p).append('\n');
    }
    for (String w : warnings) {
      s.append("  warning: ").append(w).append('\n');
    }
    s.append("  note: ").append(truncationNotice()).append('\n');
    return s.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
