package dev.rampart.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.journal.JournalProblem.Kind;
import dev.rampart.journal.internal.Ecdsa;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The rules every journal obeys, entry by entry, short of attestation: seqs 0, 1, 2, …; the hash chain; each
 * signature; payloads matching their digest; a boot first; every other entry signed by the latest boot's key.
 * The writer runs them on each entry before writing it, {@link Journal#open} on each record it reads, and the
 * offline verifier on each exported entry, so all three agree on what a valid journal is.
 */
final class ChainCheck {
  private long expectedSeq;
  private byte[] expectedPrevHash = new byte[JournalEntry.HASH_LENGTH];
  private boolean first = true;
  private long bootSeq = -1;
  private byte[] bootSpki;
  // the key of the last signer seen, parsed once: thousands of entries share it
  private byte[] cachedSpki;
  private ECPublicKey cachedKey;

  /** The problems of {@code e} as the next entry; the state does not change. */
  List<JournalProblem> check(JournalEntry e) {
    List<JournalProblem> problems = new ArrayList<>();
    long seq = e.seq();
    if (e.seq() != expectedSeq) {
      problems.add(new JournalProblem(seq, Kind.SEQUENCE, first
          ? "the journal must start at seq 0, but its first entry is seq " + seq + ": its beginning is missing"
          : "expected seq " + expectedSeq + " after seq " + (expectedSeq - 1) + ", found " + seq
              + ": entries were reordered, dropped or duplicated"));
    }
    if (!MessageDigest.isEqual(e.prevHash(), expectedPrevHash)) {
      problems.add(new JournalProblem(seq, Kind.CHAIN, first
          ? "the first entry's prevHash must be all zero, found " + short16(e.prevHash())
          : "prevHash " + short16(e.prevHash()) + " is not the hash of the entry before it ("
              + short16(expectedPrevHash) + "): the chain is broken here"));
    }
    checkSignature(e, problems);
    ObjectNode payload = null;
    if (!e.isRedacted()) {
      if (!MessageDigest.isEqual(JournalEntry.sha256().digest(e.payload()), e.payloadSha256())) {
        problems.add(new JournalProblem(seq, Kind.PAYLOAD,
            "the payload does not match payloadSha256: the payload was altered"));
      } else {
        try {
          payload = Payloads.parse(e.payload());
        } catch (IllegalArgumentException ex) {
          problems.add(new JournalProblem(seq, Kind.PAYLOAD, ex.getMessage()));
        }
      }
    }
    if (e.isBoot()) {
      checkBoot(e, payload, problems);
    } else if (bootSpki == null) {
      problems.add(new JournalProblem(seq, Kind.SIGNER, "a '" + e.type() + "' entry comes before any boot entry:"
          + " a journal starts with a boot that introduces its attested signing key"));
    } else if (!MessageDigest.isEqual(e.signerSpki(), bootSpki)) {
      problems.add(new JournalProblem(seq, Kind.SIGNER, "signed by key " + Ecdsa.fingerprint(e.signerSpki())
          + ", but the current boot (seq " + bootSeq + ") introduced key " + Ecdsa.fingerprint(bootSpki)
          + ": only the attested key of the latest boot may sign"));
    }
    return problems;
  }

  private void checkSignature(JournalEntry e, List<JournalProblem> problems) {
    byte[] spki = e.signerSpki();
    ECPublicKey key;
    if (cachedSpki != null && MessageDigest.isEqual(spki, cachedSpki)) {
      key = cachedKey;
    } else {
      try {
        key = Ecdsa.parseSpki(spki);
      } catch (IllegalArgumentException ex) {
        problems.add(new JournalProblem(e.seq(), Kind.SIGNATURE, ex.getMessage()));
        return;
      }
      cachedSpki = spki;
      cachedKey = key;
    }
    if (!Ecdsa.verify(key, e.signedBytes(), e.signature())) {
      problems.add(new JournalProblem(e.seq(), Kind.SIGNATURE, Ecdsa.isCanonical(e.signature())
          ? "the signature does not verify with the signer key " + Ecdsa.fingerprint(spki)
          : "the signature is not a minimal DER, low-S ECDSA P-256 signature"));
    }
  }

  private static void checkBoot(JournalEntry e, ObjectNode payload, List<JournalProblem> problems) {
    if (e.isRedacted()) {
      problems.add(new JournalProblem(e.seq(), Kind.REDACTED_BOOT, "the boot entry came without its payload, so"
          + " its key cannot be checked against its attestation: boot entries must be exported in full"));
      return;
    }
    if (payload == null) {
      return; // already reported as a payload problem
    }
    try {
      BootPayload boot = BootPayload.parse(payload);
      if (!MessageDigest.isEqual(boot.spki(), e.signerSpki())) {
        problems.add(new JournalProblem(e.seq(), Kind.SIGNER, "the boot introduces key "
            + Ecdsa.fingerprint(boot.spki()) + " but is signed by key " + Ecdsa.fingerprint(e.signerSpki())
            + ": a boot entry must be signed by the key it introduces"));
      }
    } catch (IllegalArgumentException ex) {
      problems.add(new JournalProblem(e.seq(), Kind.PAYLOAD, ex.getMessage()));
    }
  }

  /** Takes {@code e} as the next entry, whatever its problems were. */
  void advance(JournalEntry e) {
    expectedSeq = e.seq() + 1;
    expectedPrevHash = e.hash();
    first = false;
    if (e.isBoot()) {
      bootSeq = e.seq();
      bootSpki = e.signerSpki();
    }
  }

  long nextSeq() {
    return expectedSeq;
  }

  /** The hash the next entry's prevHash must hold. */
  byte[] head() {
    return expectedPrevHash.clone();
  }

  private static String short16(byte[] hash) {
    return HexFormat.of().formatHex(hash, 0, 8) + "…";
  }
}
