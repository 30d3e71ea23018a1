package dev.rampart.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.PolicyException;
import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.common.StrictJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A simulated TEE, keys, AEADs and policies shared by the journal's tests. */
final class Fixtures {
  static final SimulatedTee TEE = SimulatedTee.create();
  static final byte[] MEASUREMENT = sha384("the coordinator build under test");

  static {
    try {
      AeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Fixtures() {}

  static byte[] sha384(String s) {
    try {
      return MessageDigest.getInstance("SHA-384").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh AES-256-GCM sealing key. */
  static Aead aead() throws GeneralSecurityException {
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  static KeyPair p256() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** The policy an owner would hold for the simulated TEE and this build. */
  static AttestationPolicy policy() throws PolicyException {
    return policy(MEASUREMENT);
  }

  static AttestationPolicy policy(byte[] measurement) throws PolicyException {
    String json = "{\"platforms\":[\"sev-snp\"],\"measurements\":[\"" + HexFormat.of().formatHex(measurement)
        + "\"],\"allowSimulated\":true,\"simulatedRootSha256\":\"" + HexFormat.of().formatHex(TEE.rootSha256())
        + "\"}";
    return AttestationPolicy.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  static Endorsements endorsements() {
    return new Endorsements(TEE.endorsementKeyPem().getBytes(StandardCharsets.US_ASCII),
        TEE.chainPem().getBytes(StandardCharsets.US_ASCII), null);
  }

  /** Evidence as the coordinator gets it from its TEE for a boot after {@code prevHash} with {@code spki}. */
  static BootEvidence bootEvidence(byte[] prevHash, byte[] spki) throws EvidenceFormatException {
    byte[] report = TEE.report(ChannelBinding.reportData(Journal.bootNonce(prevHash), spki), MEASUREMENT);
    return new BootEvidence(Evidence.decode(report), endorsements(), MEASUREMENT);
  }

  /** Boots {@code journal} with {@code key}, as the coordinator does at start. */
  static JournalEntry boot(Journal journal, KeyPair key) throws IOException, EvidenceFormatException {
    return journal.startBoot(key, bootEvidence(journal.headHash(), key.getPublic().getEncoded()));
  }

  static ObjectNode fields(String... keyValues) {
    ObjectNode o = StrictJson.MAPPER.createObjectNode();
    for (int i = 0; i < keyValues.length; i += 2) {
      o.put(keyValues[i], keyValues[i + 1]);
    }
    return o;
  }

  /**
   * A journal of one boot and entries for two owners: seq 1 and 3 concern "owner-a", seq 2 and 4 "owner-b", seq
   * 5 both.
   */
  static List<JournalEntry> sampleJournal(Path file, Aead aead, KeyPair key) throws Exception {
    try (Journal j = Journal.open(file, aead)) {
      boot(j, key);
      j.append("principal.enrolled", List.of("owner-a"), fields("role", "owner"));
      j.append("principal.enrolled", List.of("owner-b"), fields("role", "owner"));
      j.append("dataset.stored", List.of("owner-a", "ds-a"), fields("rows", "1000"));
      j.append("dataset.stored", List.of("owner-b", "ds-b"), fields("rows", "2000"));
      j.append("job.started", List.of("ds-a", "ds-b", "owner-a", "owner-b"), fields("job", "j1"));
      return j.entries();
    }
  }

  /** The records of a journal file, as {offset, length including the prefix}. */
  static List<long[]> records(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    List<long[]> out = new ArrayList<>();
    int at = 0;
    while (at + 4 <= b.length) {
      int len = ByteBuffer.wrap(b, at, 4).getInt();
      out.add(new long[] {at, 4L + len});
      at += 4 + len;
    }
    return out;
  }
}
