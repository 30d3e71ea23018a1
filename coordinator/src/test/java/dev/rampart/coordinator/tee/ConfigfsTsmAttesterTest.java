package dev.rampart.coordinator.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.AttestationVerifier;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.attestation.simulated.SimulatedTee;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configfs-tsm attester against a fake {@code /sys/kernel/config/tsm/report} tree whose "kernel" answers
 * with a simulated SNP report and a GHCB certificate table, as a real sev_guest would.
 */
class ConfigfsTsmAttesterTest {
  private static final SimulatedTee TEE = SimulatedTee.create();
  private static final byte[] MEASUREMENT = new byte[48];
  @TempDir Path root;

  /** A fake kernel: on inblob, writes outblob, auxblob (VCEK in a certificate table), provider, generation. */
  private static ConfigfsTsmAttester.KernelSide fakeSevGuest(String provider) {
    return new ConfigfsTsmAttester.KernelSide() {
      @Override
      public void inblobWritten(Path entry, byte[] inblob) throws IOException {
        Files.write(entry.resolve("outblob"), TEE.report(inblob, MEASUREMENT));
        Files.write(entry.resolve("auxblob"), certTable(vcekDer()));
        Files.writeString(entry.resolve("provider"), provider + "\n");
        Files.writeString(entry.resolve("generation"), "1\n");
      }

      @Override
      public void remove(Path entry) throws IOException {
        removeEntry(entry);
      }
    };
  }

  /** What configfs does on rmdir of a report entry: its attribute files go with it. */
  static void removeEntry(Path entry) throws IOException {
    try (Stream<Path> files = Files.list(entry)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(entry);
  }

  static byte[] vcekDer() {
    String pem = TEE.endorsementKeyPem();
    String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(body);
  }

  /** Table: one VCEK entry, then the all-zero terminator, then the certificate. */
  static byte[] certTable(byte[] vcek) {
    ByteBuffer b = ByteBuffer.allocate(48 + vcek.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(SnpCertificateTable.guid("63da758d-e664-4564-adc5-f4b93be8accd"));
    b.putInt(48);
    b.putInt(vcek.length);
    b.put(new byte[24]);
    b.put(vcek);
    return b.array();
  }

  @Test
  void sevGuest_reportBindsTheReportData_andVerifies_andTheEntryIsRemoved() throws Exception {
    ConfigfsTsmAttester a = new ConfigfsTsmAttester(root, "sev-snp", fakeSevGuest("sev_guest"));
    a.checkAvailable();
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    byte[] spki = "a TLS key".getBytes(StandardCharsets.US_ASCII);
    AttestationBundle b = a.attest(ChannelBinding.reportData(nonce, spki));
    AttestationPolicy policy = AttestationPolicy.builder().allowSimulated(true).simulatedRootSha256(TEE.rootSha256())
        .measurement(MEASUREMENT).build();
    VerificationResult r = AttestationVerifier.verify(Evidence.decode(b.evidence()), new Endorsements(
        b.endorsementKey(), TEE.chainPem().getBytes(StandardCharsets.US_ASCII), null), policy, Instant.now(), nonce, spki);
    assertThat(r.valid()).as(r.failures().toString()).isTrue();
    assertThat(b.endorsementKey()).isEqualTo(vcekDer());
    try (Stream<Path> left = Files.list(root)) {
      assertThat(left.toList()).isEmpty();
    }
  }

  @Test
  void wrongProvider_orNoTree_areClearErrors() throws Exception {
    byte[] rd = new byte[64];
    assertThatThrownBy(() -> new ConfigfsTsmAttester(root, "tdx", fakeSevGuest("sev_guest")).attest(rd))
        .hasMessageContaining("provider is 'sev_guest', expected 'tdx_guest'");
    assertThatThrownBy(() -> new ConfigfsTsmAttester(root.resolve("absent"), "sev-snp",
        ConfigfsTsmAttester.KernelSide.CONFIGFS).checkAvailable())
        .hasMessageContaining("not a sev-snp guest with configfs-tsm");
    assertThatThrownBy(() -> new ConfigfsTsmAttester(root, "sev-snp", ConfigfsTsmAttester.KernelSide.CONFIGFS)
        .attest(new byte[10])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void certificateTable_withoutAnEndorsementKey_isRefused() {
    byte[] table = new byte[24]; // only the terminator
    assertThatThrownBy(() -> SnpCertificateTable.endorsementKey(table)).hasMessageContaining("neither a VCEK");
    ByteArrayOutputStream bad = new ByteArrayOutputStream();
    byte[] t = certTable(new byte[] {1, 2, 3});
    ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 10_000); // length beyond the table
    bad.writeBytes(t);
    assertThatThrownBy(() -> SnpCertificateTable.endorsementKey(bad.toByteArray())).hasMessageContaining("outside");
  }
}
