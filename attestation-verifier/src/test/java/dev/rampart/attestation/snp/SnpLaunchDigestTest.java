package dev.rampart.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.attestation.snp.SnpLaunchDigest.Inputs;
import dev.rampart.attestation.snp.SnpLaunchDigest.MeasurementException;
import dev.rampart.attestation.snp.SnpLaunchDigest.Vmm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every known answer of {@code ../shared/testvectors/measurement/snp/cases.tsv} (virtee/sev-snp-measure's test
 * suite: digests from real launches or cross-checked with real guests): QEMU, EC2 and GCE, SNP alone and with the
 * default features, with and without a measured direct boot, 1 and 4 vCPUs, a precomputed firmware digest, and the
 * refusal of a kernel for a firmware that cannot measure one.
 */
class SnpLaunchDigestTest {
  static Path dir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      for (Path c : List.of(p.resolve("shared/testvectors/measurement/snp"),
          p.resolveSibling("shared/testvectors/measurement/snp"))) {
        if (Files.isDirectory(c)) {
          return c;
        }
      }
    }
    throw new IllegalStateException("../shared/testvectors/measurement/snp not found beside the project root");
  }

  private static byte[] emptySha256() {
    return SnpLaunchDigest.sha256().digest();
  }

  /** One case's inputs, as the TSV's columns give them. */
  static Inputs inputs(String[] c) throws Exception {
    byte[] kernel = c[4].equals("NONE") ? null : emptySha256(); // EMPTY: an empty file
    byte[] initrd = c[5].equals("NONE") ? null : emptySha256();
    String append = c[6].equals("NONE") ? null : c[6];
    long sig = c[2].equals("-") ? 0 : SnpLaunchDigest.VCPU_TYPES.get(c[2]);
    byte[] given = c[9].equals("-") ? null : HexFormat.of().parseHex(c[9]);
    return new Inputs(Files.readAllBytes(dir().resolve(c[3])), given, kernel, initrd, append,
        Integer.parseInt(c[1]), sig, Long.decode(c[7]), Vmm.parse(c[8]));
  }

  @Test
  void everyKnownAnswerMatches() throws Exception {
    List<String> lines = Files.readAllLines(dir().resolve("cases.tsv"));
    assertThat(lines).hasSizeGreaterThan(10);
    int checked = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] c = line.split("\t", -1);
      assertThat(c).as(line).hasSize(11);
      if (c[10].startsWith("ERROR: ")) {
        assertThatThrownBy(() -> SnpLaunchDigest.compute(inputs(c))).as(c[0])
            .isInstanceOf(MeasurementException.class).hasMessageContaining(c[10].substring("ERROR: ".length()));
      } else {
        assertThat(SnpLaunchDigest.hex(SnpLaunchDigest.compute(inputs(c)))).as(c[0]).isEqualTo(c[10]);
      }
      checked++;
    }
    assertThat(checked).isEqualTo(lines.size() - 1);
  }

  @Test
  void theCpuSignatureOfEpycV4IsFamily23Model1Stepping2() {
    assertThat(SnpLaunchDigest.VCPU_TYPES.get("EPYC-v4")).isEqualTo(0x800f12L);
    assertThat(SnpLaunchDigest.cpuSignature(25, 17, 0)).isEqualTo(0xa10f10L); // Genoa
  }

  @Test
  void unusableInputsAreRefusedSayingWhy() throws Exception {
    byte[] ovmf = Files.readAllBytes(dir().resolve("ovmf_AmdSev_suffix.bin"));
    assertThatThrownBy(() -> SnpLaunchDigest.compute(new Inputs(new byte[100], null, null, null, null, 1, 0, 1,
        Vmm.QEMU))).hasMessageContaining("whole number of 4 KiB pages");
    assertThatThrownBy(() -> SnpLaunchDigest.compute(new Inputs(ovmf, null, null, null, "console=ttyS0", 1, 0, 1,
        Vmm.QEMU))).hasMessageContaining("only with a kernel");
    assertThatThrownBy(() -> SnpLaunchDigest.compute(new Inputs(ovmf, null, null, null, null, 0, 0, 1, Vmm.QEMU)))
        .hasMessageContaining("--vcpus must be 1..512");
    assertThatThrownBy(() -> SnpLaunchDigest.compute(new Inputs(ovmf, new byte[47], null, null, null, 1, 0, 1,
        Vmm.QEMU))).hasMessageContaining("48 bytes");
    assertThatThrownBy(() -> Vmm.parse("xen")).hasMessageContaining("qemu, ec2 or gce");
    // a page of zeros: no footer table, so no SEV metadata
    assertThatThrownBy(() -> SnpLaunchDigest.compute(new Inputs(new byte[4096], null, null, null, null, 1, 0, 1,
        Vmm.QEMU))).isInstanceOf(MeasurementException.class).hasMessageContaining("has no SEV metadata");
    // a footer table whose only entry, the SEV metadata's, carries 2 bytes instead of its 4-byte offset
    java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int footer = 4096 - 32 - 18;
    img.position(footer - 20).put(new byte[2]).putShort((short) 20)
        .put(HexFormat.of().parseHex("666588dc4a989847a75e5585a7bf67cc")); // dc886566-984a-4798-a75e-5585a7bf67cc
    img.putShort((short) (18 + 20)).put(HexFormat.of().parseHex("de82b596b21ff745baeaa366c55a082d")); // the footer
    assertThatThrownBy(() -> SnpLaunchDigest.compute(new Inputs(img.array(), null, null, null, null, 1, 0, 1,
        Vmm.QEMU))).isInstanceOf(MeasurementException.class).hasMessageContaining("SEV metadata entry is too short");
  }
}
