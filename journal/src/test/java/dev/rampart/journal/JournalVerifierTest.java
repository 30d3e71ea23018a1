package dev.rampart.journal;

import static dev.rampart.journal.Fixtures.fields;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.crypto.tink.Aead;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.Platform;
import dev.rampart.journal.JournalProblem.Kind;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalVerifierTest {
  @TempDir
  Path dir;
  Aead aead;
  KeyPair key;
  AttestationPolicy policy;
  List<JournalEntry> journal;

  @BeforeEach
  void setUp() throws Exception {
    aead = Fixtures.aead();
    key = Fixtures.p256();
    policy = Fixtures.policy();
    journal = Fixtures.sampleJournal(dir.resolve("journal.bin"), aead, key);
  }

  private static List<Kind> kinds(JournalReport r) {
    return r.problems().stream().map(JournalProblem::kind).toList();
  }

  private static List<Long> seqs(JournalReport r) {
    return r.problems().stream().map(JournalProblem::seq).toList();
  }

  /** The next entry after {@code list}, correctly chained, signed by {@code signer}. */
  private static JournalEntry next(List<JournalEntry> list, String type, byte[] payload, KeyPair signer)
      throws Exception {
    JournalEntry last = list.get(list.size() - 1);
    return EntrySigner.sign(last.seq() + 1, last.hash(), last.timeMillis() + 1, type, payload, signer);
  }

  private static byte[] payload(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void cleanChain_withASimulatedTeeBoot_verifies() {
    JournalReport r = JournalVerifier.verify(journal, policy);
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.entries()).isEqualTo(6);
    assertThat(r.visibleEntries()).isEqualTo(6);
    assertThat(r.boots()).singleElement().satisfies(b -> {
      assertThat(b.seq()).isZero();
      assertThat(b.attested()).isTrue();
      assertThat(b.platform()).isEqualTo(Platform.SIMULATED);
      assertThat(b.measurementHex()).isEqualTo(java.util.HexFormat.of().formatHex(Fixtures.MEASUREMENT));
    });
    assertThat(r.insecure()).isTrue();
    assertThat(r.warnings()).anyMatch(w -> w.contains("INSECURE"));
    assertThat(r.last()).contains(JournalAnchor.of(journal.get(5)));
    assertThat(r.summary()).contains("OK").contains("ends at seq 5 with hash " + journal.get(5).hashHex())
        .contains("monotonic counter");
  }

  @Test
  void redactedExport_stillVerifies() throws Exception {
    List<JournalEntry> forB;
    try (Journal j = Journal.open(dir.resolve("journal.bin"), aead)) {
      forB = j.export(Journal.concerning(Set.of("owner-b")));
    }
    JournalReport r = JournalVerifier.verify(forB, policy);
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.visibleEntries()).isEqualTo(4);
    assertThat(r.last()).contains(JournalAnchor.of(journal.get(5)));
  }

  @Test
  void reorderedEntries_areDetected() {
    List<JournalEntry> swapped = new ArrayList<>(journal);
    Collections.swap(swapped, 2, 3);
    JournalReport r = JournalVerifier.verify(swapped, policy);
    assertThat(r.ok()).isFalse();
    assertThat(r.problems()).anySatisfy(p -> {
      assertThat(p.kind()).isEqualTo(Kind.SEQUENCE);
      assertThat(p.seq()).isEqualTo(3);
      assertThat(p.detail()).contains("expected seq 2");
    });
    assertThat(kinds(r)).contains(Kind.CHAIN).doesNotContain(Kind.SIGNATURE, Kind.PAYLOAD);
  }

  @Test
  void droppedMiddleEntry_isDetected() {
    List<JournalEntry> gap = new ArrayList<>(journal);
    gap.remove(2);
    JournalReport r = JournalVerifier.verify(gap, policy);
    assertThat(kinds(r)).containsExactly(Kind.SEQUENCE, Kind.CHAIN);
    assertThat(seqs(r)).containsOnly(3L);
  }

  @Test
  void duplicatedEntry_isDetected() {
    List<JournalEntry> dup = new ArrayList<>(journal);
    dup.add(3, journal.get(2));
    JournalReport r = JournalVerifier.verify(dup, policy);
    assertThat(r.problems()).anySatisfy(p -> {
      assertThat(p.kind()).isEqualTo(Kind.SEQUENCE);
      assertThat(p.seq()).isEqualTo(2);
    });
  }

  @Test
  void missingBeginning_isDetected() {
    JournalReport r = JournalVerifier.verify(journal.subList(1, journal.size()), policy);
    assertThat(kinds(r)).contains(Kind.SEQUENCE, Kind.CHAIN, Kind.SIGNER);
    assertThat(r.problems()).first().satisfies(p -> assertThat(p.detail()).contains("beginning is missing"));
    assertThat(JournalVerifier.verify(List.of(), policy).ok()).isFalse();
  }

  @Test
  void editedPayload_isDetected() {
    List<JournalEntry> edited = new ArrayList<>(journal);
    JournalEntry e = journal.get(3);
    byte[] p = new String(e.payload(), StandardCharsets.UTF_8).replace("1000", "9000")
        .getBytes(StandardCharsets.UTF_8);
    edited.set(3, new JournalEntry(e.seq(), e.prevHash(), e.timeMillis(), e.type(), e.payloadSha256(), p,
        e.signerSpki(), e.signature()));
    JournalReport r = JournalVerifier.verify(edited, policy);
    assertThat(kinds(r)).containsExactly(Kind.PAYLOAD);
    assertThat(seqs(r)).containsExactly(3L);
  }

  @Test
  void editedSignedField_failsTheSignature_andTheChain() {
    List<JournalEntry> edited = new ArrayList<>(journal);
    JournalEntry e = journal.get(2);
    edited.set(2, new JournalEntry(e.seq(), e.prevHash(), e.timeMillis() + 1, e.type(), e.payloadSha256(),
        e.payload(), e.signerSpki(), e.signature()));
    JournalReport r = JournalVerifier.verify(edited, policy);
    assertThat(r.problems()).extracting(JournalProblem::seq, JournalProblem::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, Kind.SIGNATURE),
            org.assertj.core.groups.Tuple.tuple(3L, Kind.CHAIN));
  }

  @Test
  void highSSignature_isRefused_soNobodyCanChangeAnEntrysHash() {
    JournalEntry e = journal.get(5);
    byte[] der = e.signature();
    // re-encode (r, n − s): the same ECDSA signature in its malleated form
    int rLen = der[3];
    BigInteger r = new BigInteger(java.util.Arrays.copyOfRange(der, 4, 4 + rLen));
    BigInteger s = new BigInteger(java.util.Arrays.copyOfRange(der, 6 + rLen, der.length));
    BigInteger n = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    byte[] rb = r.toByteArray();
    byte[] sb = n.subtract(s).toByteArray();
    byte[] high = new byte[6 + rb.length + sb.length];
    high[0] = 0x30;
    high[1] = (byte) (4 + rb.length + sb.length);
    high[2] = 2;
    high[3] = (byte) rb.length;
    System.arraycopy(rb, 0, high, 4, rb.length);
    high[4 + rb.length] = 2;
    high[5 + rb.length] = (byte) sb.length;
    System.arraycopy(sb, 0, high, 6 + rb.length, sb.length);
    List<JournalEntry> malleated = new ArrayList<>(journal);
    malleated.set(5, new JournalEntry(e.seq(), e.prevHash(), e.timeMillis(), e.type(), e.payloadSha256(),
        e.payload(), e.signerSpki(), high));
    JournalReport report = JournalVerifier.verify(malleated, policy);
    assertThat(kinds(report)).containsExactly(Kind.SIGNATURE);
    assertThat(report.problems().get(0).detail()).contains("low-S");
  }

  @Test
  void entrySignedByAnotherKey_isDetected() throws Exception {
    List<JournalEntry> forged = new ArrayList<>(journal);
    forged.add(next(journal, "dataset.deleted", payload("{\"subjects\":[\"ds-a\"]}"), Fixtures.p256()));
    JournalReport r = JournalVerifier.verify(forged, policy);
    assertThat(kinds(r)).containsExactly(Kind.SIGNER);
    assertThat(seqs(r)).containsExactly(6L);
    assertThat(r.problems().get(0).detail()).contains("current boot (seq 0)");
  }

  @Test
  void bootWithEvidenceForAnotherKey_isDetected() throws Exception {
    // a host that has the TEE's evidence for the coordinator's key but signs with a key of its own
    KeyPair attacker = Fixtures.p256();
    byte[] attackerSpki = attacker.getPublic().getEncoded();
    BootEvidence forCoordinator = Fixtures.bootEvidence(journal.get(5).hash(), key.getPublic().getEncoded());
    byte[] bootPayload = Payloads.encode(List.of(), BootPayload.fields(forCoordinator, attackerSpki), new byte[16]);
    List<JournalEntry> forged = new ArrayList<>(journal);
    forged.add(next(journal, "boot", bootPayload, attacker));
    forged.add(next(forged, "release.approved", payload("{\"subjects\":[\"ds-a\"]}"), attacker));
    JournalReport r = JournalVerifier.verify(forged, policy);
    assertThat(kinds(r)).containsExactly(Kind.ATTESTATION);
    assertThat(seqs(r)).containsExactly(6L);
    assertThat(r.problems().get(0).detail()).contains("binding");
    assertThat(r.boots()).extracting(JournalReport.Boot::attested).containsExactly(true, false);
  }

  @Test
  void bootEvidenceFromAnotherPointOfTheJournal_isDetected() throws Exception {
    // genuine evidence for the key, but made for a boot at seq 0: the nonce binds the position
    KeyPair k = Fixtures.p256();
    BootEvidence old = Fixtures.bootEvidence(new byte[32], k.getPublic().getEncoded());
    byte[] bootPayload = Payloads.encode(List.of(), BootPayload.fields(old, k.getPublic().getEncoded()),
        new byte[16]);
    List<JournalEntry> forged = new ArrayList<>(journal);
    forged.add(next(journal, "boot", bootPayload, k));
    JournalReport r = JournalVerifier.verify(forged, policy);
    assertThat(kinds(r)).containsExactly(Kind.ATTESTATION);
    assertThat(r.problems().get(0).detail()).contains("binding");
  }

  @Test
  void bootSignedByAKeyItDoesNotIntroduce_isDetected() throws Exception {
    KeyPair k = Fixtures.p256();
    BootEvidence ev = Fixtures.bootEvidence(journal.get(5).hash(), k.getPublic().getEncoded());
    byte[] bootPayload = Payloads.encode(List.of(), BootPayload.fields(ev, k.getPublic().getEncoded()),
        new byte[16]);
    List<JournalEntry> forged = new ArrayList<>(journal);
    forged.add(next(journal, "boot", bootPayload, key)); // the old key signs the new boot
    JournalReport r = JournalVerifier.verify(forged, policy);
    assertThat(kinds(r)).contains(Kind.SIGNER);
  }

  @Test
  void measurementTheOwnerDoesNotAccept_isDetected() throws Exception {
    JournalReport r = JournalVerifier.verify(journal, Fixtures.policy(Fixtures.sha384("another build")));
    assertThat(kinds(r)).containsExactly(Kind.ATTESTATION);
    assertThat(seqs(r)).containsExactly(0L);
    assertThat(r.problems().get(0).detail()).contains("measurement");
    assertThat(r.boots().get(0).attested()).isFalse();
  }

  @Test
  void productionPolicy_refusesTheSimulatedTee() throws Exception {
    AttestationPolicy production = AttestationPolicy.builder().platform(Platform.SEV_SNP)
        .measurement(Fixtures.MEASUREMENT).build();
    JournalReport r = JournalVerifier.verify(journal, production);
    assertThat(kinds(r)).containsExactly(Kind.ATTESTATION);
    assertThat(r.problems().get(0).detail()).contains("chain");
  }

  @Test
  void bootPayloadClaimingAnotherMeasurement_isDetected() throws Exception {
    KeyPair k = Fixtures.p256();
    byte[] spki = k.getPublic().getEncoded();
    byte[] report = Fixtures.TEE.report(ChannelBinding.reportData(Journal.bootNonce(journal.get(5).hash()), spki),
        Fixtures.MEASUREMENT);
    BootEvidence claimsOther = new BootEvidence(Evidence.decode(report), Fixtures.endorsements(),
        Fixtures.sha384("another build"));
    List<JournalEntry> forged = new ArrayList<>(journal);
    forged.add(next(journal, "boot",
        Payloads.encode(List.of(), BootPayload.fields(claimsOther, spki), new byte[16]), k));
    JournalReport r = JournalVerifier.verify(forged, policy);
    assertThat(kinds(r)).containsExactly(Kind.ATTESTATION);
    assertThat(r.problems().get(0).detail()).contains("says measurement");
  }

  @Test
  void redactedBoot_isAProblem() {
    List<JournalEntry> hidden = new ArrayList<>(journal);
    hidden.set(0, journal.get(0).redacted());
    JournalReport r = JournalVerifier.verify(hidden, policy);
    assertThat(kinds(r)).containsExactly(Kind.REDACTED_BOOT);
    assertThat(seqs(r)).containsExactly(0L);
  }

  @Test
  void twoBoots_chainAcrossKeys_andTheOldKeyMayNoLongerSign() throws Exception {
    Path file = dir.resolve("restarts.bin");
    KeyPair first = Fixtures.p256();
    List<JournalEntry> entries;
    try (Journal j = Journal.open(file, aead)) {
      Fixtures.boot(j, first);
      j.append("a", List.of("x"), fields());
    }
    try (Journal j = Journal.open(file, aead)) {
      Fixtures.boot(j, Fixtures.p256());
      j.append("b", List.of("x"), fields());
      entries = j.entries();
    }
    JournalReport r = JournalVerifier.verify(entries, policy);
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.boots()).extracting(JournalReport.Boot::seq).containsExactly(0L, 2L);
    assertThat(r.boots()).allMatch(JournalReport.Boot::attested);

    List<JournalEntry> stale = new ArrayList<>(entries);
    stale.add(next(entries, "c", payload("{\"subjects\":[]}"), first));
    JournalReport s = JournalVerifier.verify(stale, policy);
    assertThat(kinds(s)).containsExactly(Kind.SIGNER);
    assertThat(s.problems().get(0).detail()).contains("current boot (seq 2)");
  }

  @Test
  void anchor_detectsTruncationAndRewrites() throws Exception {
    JournalAnchor seen = JournalAnchor.of(journal.get(5));
    assertThat(JournalVerifier.verify(journal, policy, seen).ok()).isTrue();
    assertThat(JournalVerifier.verify(journal, policy, JournalAnchor.of(journal.get(2))).ok()).isTrue();

    // without the anchor the shorter journal verifies: that is the limit the report states
    List<JournalEntry> truncated = journal.subList(0, 4);
    assertThat(JournalVerifier.verify(truncated, policy).ok()).isTrue();
    JournalReport r = JournalVerifier.verify(truncated, policy, seen);
    assertThat(kinds(r)).containsExactly(Kind.ANCHOR);
    assertThat(seqs(r)).containsExactly(5L);
    assertThat(r.problems().get(0).detail()).contains("ends at seq 3").contains("cut off");

    // a journal rewritten from seq 5 on (the host rolled back and the coordinator continued)
    List<JournalEntry> rewritten = new ArrayList<>(journal.subList(0, 5));
    rewritten.add(next(rewritten, "job.started", payload("{\"subjects\":[]}"), key));
    JournalReport w = JournalVerifier.verify(rewritten, policy, seen);
    assertThat(kinds(w)).containsExactly(Kind.ANCHOR);
    assertThat(w.problems().get(0).detail()).contains("rewritten");
  }

  @Test
  void nonBootFirstEntry_isDetected() throws Exception {
    KeyPair k = Fixtures.p256();
    JournalEntry e = EntrySigner.sign(0, new byte[32], 1, "dataset.stored", payload("{\"subjects\":[]}"), k);
    JournalReport r = JournalVerifier.verify(List.of(e), policy);
    assertThat(kinds(r)).containsExactly(Kind.SIGNER);
    assertThat(r.boots()).isEmpty();
  }

  @Test
  void malformedPayloads_areProblems_notExceptions() throws Exception {
    List<JournalEntry> bad = new ArrayList<>(journal);
    bad.add(next(journal, "a", payload("{\"subjects\":\"ds-a\"}"), key));
    bad.add(next(bad, "b", payload("not json"), key));
    JournalReport r = JournalVerifier.verify(bad, policy);
    assertThat(kinds(r)).containsExactly(Kind.PAYLOAD, Kind.PAYLOAD);
    assertThat(seqs(r)).containsExactly(6L, 7L);
  }
}
