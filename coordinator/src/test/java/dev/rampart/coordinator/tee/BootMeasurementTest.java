package dev.rampart.coordinator.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.journal.JournalEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot's measurement is what the evidence states (issue 14, section 1): a real AMD SEV-SNP report through a
 * fake configfs-tsm tree gets as far as the binding check, with its own measurement, and stops exactly there (a
 * public sample cannot bind this boot's TLS key); a simulated report of another measurement than the jar's boots
 * with that measurement.
 */
class BootMeasurementTest {
  @TempDir Path dir;

  private static Path sample(String name) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path c = p.resolveSibling("shared/testvectors/attestation").resolve(name);
      if (Files.exists(c)) {
        return c;
      }
    }
    throw new IllegalStateException("../shared/testvectors/attestation/snp/" + name + " not found");
  }

  /** A fake sev_guest (or tdx_guest) that answers every request with the same public report (and its VCEK). */
  private static ConfigfsTsmAttester.KernelSide publicSample(byte[] report, byte[] vcek) {
    return publicSample(report, vcek, vcek != null ? "sev_guest" : "tdx_guest");
  }

  private static ConfigfsTsmAttester.KernelSide publicSample(byte[] report, byte[] vcek, String provider) {
    return new ConfigfsTsmAttester.KernelSide() {
      @Override
      public void inblobWritten(Path entry, byte[] inblob) throws IOException {
        Files.write(entry.resolve("outblob"), report);
        if (vcek != null) {
          Files.write(entry.resolve("auxblob"), ConfigfsTsmAttesterTest.certTable(vcek));
        }
        Files.writeString(entry.resolve("provider"), provider + "\n");
        Files.writeString(entry.resolve("generation"), "1\n");
      }

      @Override
      public void remove(Path entry) throws IOException {
        ConfigfsTsmAttesterTest.removeEntry(entry);
      }
    };
  }

  @Test
  void aRealSnpReport_reachesTheBindingCheckWithItsOwnMeasurement_andStopsThere() throws Exception {
    byte[] report = Files.readAllBytes(sample("snp/trustee__test_data_snp_test-report.bin"));
    byte[] vcek = Files.readAllBytes(sample("snp/trustee__test_data_snp_test-vcek.der"));
    // the sample's MEASUREMENT (MANIFEST.md), not the jar's hash passed below
    String measurement = "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c"
        + "23500644e0e692e6be917f9050d3d38c";
    Path tsm = Files.createDirectories(dir.resolve("tsm"));
    Path key = dir.resolve("sealing-key.json");
    SealingKeys.loadOrCreate(key, true); // as a key broker would provide it
    byte[] jarHash = MessageDigest.getInstance("SHA-384").digest(new byte[1]);
    CoordinatorConfig config = CoordinatorConfig.builder(dir.resolve("state"), jarHash).tee("sev-snp")
        .sealingKeyFile(key).tsmRoot(tsm).tsmKernel(publicSample(report, vcek)).build();
    assertThatThrownBy(() -> Coordinator.start(config)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("the TEE's sev-snp evidence (measurement " + measurement + ") cannot start this boot:"
            + " the boot evidence does not bind this boot");
    assertThat(HexFormat.of().formatHex(jarHash)).isNotEqualTo(measurement);
  }

  /** A host that provides no certificate table: refused at boot, unless --snp-certs gives the chip's VCEK. */
  @Test
  void withoutTheHostsCertificateTable_theVcekComesFromSnpCerts() throws Exception {
    byte[] report = Files.readAllBytes(sample("snp/trustee__test_data_snp_test-report.bin"));
    Path certs = Files.createDirectories(dir.resolve("certs"));
    Path tsm = Files.createDirectories(dir.resolve("tsm"));
    Path key = dir.resolve("sealing-key.json");
    SealingKeys.loadOrCreate(key, true);
    CoordinatorConfig.Builder b = CoordinatorConfig.builder(dir.resolve("state"),
        MessageDigest.getInstance("SHA-384").digest(new byte[1])).tee("sev-snp").sealingKeyFile(key).tsmRoot(tsm)
        .tsmKernel(publicSample(report, null, "sev_guest"));
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageStartingWith("the host provided no SEV-SNP certificate table (auxblob is empty): pass --snp-certs");
    b.snpCerts(certs);
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageContaining("holds none of [vcek.der, vcek.pem, vlek.der, vlek.pem]");
    // another chip's VCEK: the report does not verify under it, and the boot says so before any client does
    Files.copy(sample("snp/virteesev__tests_certs_data_vcek_milan.der"), certs.resolve("vcek.der"));
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageStartingWith("the TEE's sev-snp evidence is not endorsed by its vendor: [")
        .hasMessageEndingWith("; check the chip's VCEK (--snp-certs)");
    Files.copy(sample("snp/trustee__test_data_snp_test-vcek.der"), certs.resolve("vcek.der"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageContaining("cannot start this boot: the boot evidence does not bind this boot");
  }

  /**
   * A real Intel TDX quote with its collateral: refused at boot, not at the first client, when the collateral is
   * missing or not current; with a current one (the sample's, at a time inside its validity) it reaches exactly
   * the binding check, with the quote's own measurement (the verifier's digest of MRTD, MRCONFIGID, MROWNER,
   * MROWNERCONFIG and RTMR0-3).
   */
  @Test
  void aRealTdxQuote_needsCurrentCollateralAtBoot_thenReachesTheBindingCheck() throws Exception {
    byte[] quote = Files.readAllBytes(sample("tdx/dcap-qvl__sample_tdx_quote"));
    Path collateral = sample("tdx/dcap-qvl__sample_tdx_quote_collateral.json");
    java.time.Instant inside = java.time.Instant.parse("2025-07-01T00:00:00Z"); // the sample's validity: June-July 2025
    String measurement = dev.rampart.attestation.AttestationVerifier.verify(
        dev.rampart.attestation.Evidence.decode(quote),
        new dev.rampart.attestation.Endorsements(null, null, Files.readAllBytes(collateral)),
        dev.rampart.attestation.AttestationPolicy.builder().platform(dev.rampart.attestation.Platform.TDX).build(),
        inside, null, null).measurementHex();
    Path tsm = Files.createDirectories(dir.resolve("tsm"));
    Path key = dir.resolve("sealing-key.json");
    SealingKeys.loadOrCreate(key, true);
    byte[] jarHash = MessageDigest.getInstance("SHA-384").digest(new byte[1]);
    CoordinatorConfig.Builder b = CoordinatorConfig.builder(dir.resolve("state"), jarHash).tee("tdx")
        .sealingKeyFile(key).tsmRoot(tsm).tsmKernel(publicSample(quote, null));
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageStartingWith("--tee tdx needs --tdx-collateral FILE");
    b.tdxCollateral(collateral);
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageStartingWith("the TEE's tdx evidence is not current: [")
        .hasMessageEndingWith("; refresh --tdx-collateral from Intel's PCS or your PCCS");
    b.clock(java.time.Clock.fixed(inside, java.time.ZoneOffset.UTC));
    assertThatThrownBy(() -> Coordinator.start(b.build())).isInstanceOf(IOException.class)
        .hasMessageStartingWith("the TEE's tdx evidence (measurement " + measurement + ") cannot start this boot:"
            + " the boot evidence does not bind this boot");
    assertThat(measurement).hasSize(96).isNotEqualTo(HexFormat.of().formatHex(jarHash));
  }

  @Test
  void aSimulatedReportOfAnotherMeasurement_bootsWithThatMeasurement() throws Exception {
    byte[] jarHash = MessageDigest.getInstance("SHA-384").digest(new byte[1]);
    byte[] image = MessageDigest.getInstance("SHA-384").digest(new byte[2]); // e.g. a whole CVM image's digest
    SimulatedTee tee = SimulatedTee.create();
    CoordinatorConfig config = CoordinatorConfig.builder(dir.resolve("state"), jarHash)
        .simulatedAttester(new SimulatedAttester(tee, image)).build();
    try (Coordinator c = Coordinator.start(config)) {
      List<JournalEntry> entries = c.journal().entries();
      assertThat(entries).extracting(JournalEntry::type).containsExactly("boot");
      assertThat(entries.get(0).payloadJson().get("measurement").asText())
          .isEqualTo(HexFormat.of().formatHex(image)).isNotEqualTo(HexFormat.of().formatHex(jarHash));
    }
  }
}
