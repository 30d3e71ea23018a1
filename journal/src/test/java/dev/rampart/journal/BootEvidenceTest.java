package dev.rampart.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.Platform;
import org.junit.jupiter.api.Test;

class BootEvidenceTest {
  private static final Evidence EVIDENCE = new Evidence(Platform.SEV_SNP, new byte[] {1, 2, 3});

  @Test
  void missingParts_andImpossibleMeasurements_areRefused() {
    assertThatThrownBy(() -> new BootEvidence(null, Endorsements.NONE, new byte[48]))
        .hasMessageContaining("evidence");
    assertThatThrownBy(() -> new BootEvidence(EVIDENCE, null, new byte[48])).hasMessageContaining("Endorsements.NONE");
    assertThatThrownBy(() -> new BootEvidence(EVIDENCE, Endorsements.NONE, new byte[0]))
        .hasMessageContaining("1 to 64");
    assertThatThrownBy(() -> new BootEvidence(EVIDENCE, Endorsements.NONE, new byte[65]))
        .hasMessageContaining("1 to 64");
  }

  @Test
  void measurement_isCopied() {
    byte[] m = new byte[48];
    BootEvidence b = new BootEvidence(EVIDENCE, Endorsements.NONE, m);
    m[0] = 1;
    b.measurement()[1] = 1;
    assertThat(b.measurement()).isEqualTo(new byte[48]);
    assertThat(b.measurementHex()).isEqualTo("00".repeat(48));
  }
}
