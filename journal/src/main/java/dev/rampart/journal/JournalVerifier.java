package dev.rampart.journal;

import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.AttestationVerifier;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import dev.rampart.attestation.Platform;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.journal.JournalProblem.Kind;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies an exported journal offline, as a data owner or auditor does: the chain rules every journal obeys
 * (seqs, hash chain, signatures, payload digests, signers) and, for each boot entry, its TEE evidence under the
 * reader's own attestation policy, at the boot's own time, bound to the boot's nonce and new key. Every entry is
 * checked, so the report names every problem, not just the first.
 *
 * <p>What it cannot see: entries cut off the end, and a rollback of the whole journal (see
 * {@link JournalReport#truncationNotice()}); pass an anchor from an earlier verification to catch both relative
 * to that point.
 */
public final class JournalVerifier {
  private JournalVerifier() {}

  /** Verifies {@code entries} (oldest first) with no earlier anchor. */
  public static JournalReport verify(List<JournalEntry> entries, AttestationPolicy policy) {
    return verify(entries, policy, null);
  }

  /**
   * Verifies {@code entries} (oldest first).
   *
   * @param policy the reader's reference values: which platforms, roots and measurements a boot may attest
   * @param previouslySeen an entry seen in an earlier copy of this journal, or null: the journal must still hold
   *     it with the same hash, else it was truncated or rewritten since
   */
  public static JournalReport verify(List<JournalEntry> entries, AttestationPolicy policy,
      JournalAnchor previouslySeen) {
    List<JournalProblem> problems = new ArrayList<>();
    List<JournalReport.Boot> boots = new ArrayList<>();
    Set<String> warnings = new LinkedHashSet<>();
    ChainCheck chain = new ChainCheck();
    int visible = 0;
    if (entries.isEmpty()) {
      problems.add(new JournalProblem(0, Kind.SEQUENCE, "the journal is empty: a journal starts with a boot entry"));
    }
    for (JournalEntry e : entries) {
      problems.addAll(chain.check(e));
      if (e.isBoot() && !e.isRedacted()) {
        boots.add(attest(e, policy, problems, warnings));
      } else if (e.isBoot()) {
        boots.add(new JournalReport.Boot(e.seq(), Instant.ofEpochMilli(e.timeMillis()), null, "", false, false));
      }
      if (!e.isRedacted()) {
        visible++;
      }
      chain.advance(e);
    }
    JournalAnchor last = entries.isEmpty() ? null : JournalAnchor.of(entries.get(entries.size() - 1));
    if (previouslySeen != null) {
      checkAnchor(entries, previouslySeen, last, problems);
    }
    return new JournalReport(entries.size(), visible, boots, problems, List.copyOf(warnings), last);
  }

  private static JournalReport.Boot attest(JournalEntry e, AttestationPolicy policy, List<JournalProblem> problems,
      Set<String> warnings) {
    Instant at = Instant.ofEpochMilli(e.timeMillis());
    BootPayload boot;
    try {
      boot = BootPayload.parse(e.payloadJson());
    } catch (IllegalArgumentException ex) {
      return new JournalReport.Boot(e.seq(), at, null, "", false, false); // the chain check named it already
    }
    Platform platform;
    try {
      platform = Platform.fromId(boot.platform());
    } catch (IllegalArgumentException ex) {
      problems.add(new JournalProblem(e.seq(), Kind.ATTESTATION, ex.getMessage()));
      return new JournalReport.Boot(e.seq(), at, null, "", false, false);
    }
    VerificationResult r;
    try {
      // the evidence must bind this boot's nonce (from its own prevHash) and the key it signs with
      r = AttestationVerifier.verify(new Evidence(platform, boot.evidence()), boot.endorsements(), policy, at,
          Journal.bootNonce(e.prevHash()), e.signerSpki());
    } catch (EvidenceFormatException ex) {
      problems.add(new JournalProblem(e.seq(), Kind.ATTESTATION, "the boot evidence cannot be used: "
          + ex.getMessage()));
      return new JournalReport.Boot(e.seq(), at, platform, "", false, false);
    }
    boolean attested = r.valid();
    if (!r.valid()) {
      problems.add(new JournalProblem(e.seq(), Kind.ATTESTATION, "the boot evidence does not verify under the"
          + " policy: " + r.failures().stream().map(Failure::toString).collect(Collectors.joining("; "))));
    }
    if (!MessageDigest.isEqual(r.measurement(), boot.measurement())) {
      attested = false;
      problems.add(new JournalProblem(e.seq(), Kind.ATTESTATION, "the boot entry says measurement "
          + HexFormat.of().formatHex(boot.measurement()) + " but its evidence states " + r.measurementHex()));
    }
    warnings.addAll(r.warnings());
    return new JournalReport.Boot(e.seq(), at, r.platform(), r.measurementHex(), r.insecure(), attested);
  }

  private static void checkAnchor(List<JournalEntry> entries, JournalAnchor anchor, JournalAnchor last,
      List<JournalProblem> problems) {
    for (JournalEntry e : entries) {
      if (e.seq() == anchor.seq()) {
        if (!MessageDigest.isEqual(e.hash(), anchor.hash())) {
          problems.add(new JournalProblem(anchor.seq(), Kind.ANCHOR, "you saw seq " + anchor.seq() + " with hash "
              + anchor.hashHex() + ", but this journal's seq " + anchor.seq() + " has hash " + e.hashHex()
              + ": the journal was rewritten from there on (or rolled back and continued)"));
        }
        return;
      }
    }
    problems.add(new JournalProblem(anchor.seq(), Kind.ANCHOR, "you saw seq " + anchor.seq() + " before, but this"
        + " journal " + (last == null ? "is empty" : "ends at seq " + last.seq()) + ": entries were cut off its"
        + " end (truncation, or a rollback to an older copy)"));
  }
}
