package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AttestationPolicyTest {
  private static AttestationPolicy parse(String json) throws PolicyException {
    return AttestationPolicy.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void fullPolicy_parses() throws Exception {
    AttestationPolicy p = parse("""
        {"platforms": ["sev-snp", "nitro"], "allowDebug": false, "measurements": ["00ff"],
         "minTcb": {"bootloader": 3, "snp": 8}, "acceptedTcbStatuses": ["UpToDate", "SWHardeningNeeded"],
         "maxEvidenceAgeSeconds": 60, "allowSimulated": true, "maxVmpl": 1,
         "simulatedRootSha256": "0000000000000000000000000000000000000000000000000000000000000000"}""");
    assertThat(p.platforms()).containsExactlyInAnyOrder(Platform.SEV_SNP, Platform.NITRO);
    assertThat(p.acceptsMeasurement(new byte[] {0, (byte) 0xff})).isTrue();
    assertThat(p.acceptsMeasurement(new byte[] {0, 0})).isFalse();
    assertThat(p.minTcb()).containsEntry("bootloader", 3).containsEntry("snp", 8);
    assertThat(p.maxEvidenceAgeSeconds()).isEqualTo(60);
    assertThat(p.maxVmpl()).isEqualTo(1);
    assertThat(p.warnings()).anyMatch(w -> w.contains("INSECURE"));
  }

  @Test
  void emptyMeasurements_acceptAnything_withAWarning() throws Exception {
    AttestationPolicy p = parse("{\"platforms\": [\"sev-snp\"], \"measurements\": []}");
    assertThat(p.acceptsMeasurement(new byte[48])).isTrue();
    assertThat(p.warnings()).anyMatch(w -> w.contains("no measurements"));
    assertThat(p.acceptedTcbStatuses()).containsExactly("UpToDate");
  }

  @Test
  void badPolicies_nameTheKey() {
    String[][] cases = {
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"alowDebug\": true}", "alowDebug"},
      {"{\"measurements\": []}", "platforms"},
      {"{\"platforms\": [\"sev-snp\"]}", "measurements"},
      {"{\"platforms\": [\"sgx\"], \"measurements\": []}", "sgx"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [\"xyz\"]}", "not hex"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"allowDebug\": \"no\"}", "allowDebug"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"minTcb\": {\"ucode\": 1}}", "ucode"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"minTcb\": {\"snp\": 300}}", "minTcb.snp"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"allowSimulated\": true}", "simulatedRootSha256"},
      {"{\"platforms\": [], \"measurements\": []}", "platform"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"maxEvidenceAgeSeconds\": 0}", "maxEvidenceAgeSeconds"},
      {"{\"platforms\": [\"sev-snp\"], \"platforms\": [\"nitro\"], \"measurements\": []}", "JSON"},
      {"{\"platforms\": [\"sev-snp\"], \"measurements\": [], \"maxVmpl\": 4}", "maxVmpl"},
      {"[1, 2]", "object"},
      {"{not json", "JSON"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> parse(c[0])).as(c[0]).isInstanceOf(PolicyException.class).hasMessageContaining(c[1]);
    }
  }
}
