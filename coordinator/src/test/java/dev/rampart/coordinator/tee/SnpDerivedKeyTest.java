package dev.rampart.coordinator.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SNP derived sealing key's encoding against the kernel ABI ({@code include/uapi/linux/sev-guest.h}) and the
 * firmware's MSG_KEY_RSP, and the refusals around it. The ioctl itself needs an SEV-SNP guest: not run here.
 */
class SnpDerivedKeyTest {
  @TempDir Path dir;

  @Test
  void theIoctlNumbersAreTheKernels() {
    // _IOWR('S', nr, struct snp_guest_request_ioctl), 32 bytes: the values go-sev-guest and the kernel use
    assertThat(SnpDerivedKey.ioWriteRead('S', 0x0, 32)).isEqualTo(0xC0205300L); // SNP_GET_REPORT
    assertThat(SnpDerivedKey.SNP_GET_DERIVED_KEY).isEqualTo(0xC0205301L);
  }

  @Test
  void theRequestSelectsTheVcekRoot_thePolicyAndTheMeasurement_andNothingElse() {
    byte[] r = SnpDerivedKey.request(0);
    assertThat(r).hasSize(32);
    ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(b.getInt(0)).as("root_key_select: VCEK").isZero();
    assertThat(b.getInt(4)).as("rsvd").isZero();
    assertThat(b.getLong(8)).as("guest_field_select: policy (bit 0) and measurement (bit 3)").isEqualTo(0b1001L);
    assertThat(b.getInt(16)).as("vmpl").isZero();
    assertThat(b.getInt(20)).as("guest_svn").isZero();
    assertThat(b.getLong(24)).as("tcb_version: not mixed in, so firmware updates keep the key").isZero();
  }

  @Test
  void theKeyIsTheResponsesLast32Bytes_andAnErrorIsNamed() throws Exception {
    byte[] resp = new byte[64];
    for (int i = 0x20; i < 0x40; i++) {
      resp[i] = (byte) i;
    }
    assertThat(SnpDerivedKey.key(resp, 0)).isEqualTo(Arrays.copyOfRange(resp, 0x20, 0x40));
    byte[] refused = resp.clone();
    refused[0] = 0x16; // INVALID_PARAM
    assertThatThrownBy(() -> SnpDerivedKey.key(refused, 0)).isInstanceOf(IOException.class)
        .hasMessageContaining("status 0x16");
    assertThatThrownBy(() -> SnpDerivedKey.key(resp, (2L << 32) | 0x7)).hasMessageContaining("firmware error 0x7")
        .hasMessageContaining("VMM error 0x2");
    assertThatThrownBy(() -> SnpDerivedKey.key(new byte[10], 0)).hasMessageContaining("64 bytes");
  }

  @Test
  void outsideAnSnpGuest_theBootIsRefusedSayingWhatToDo() throws Exception {
    Path missing = dir.resolve("sev-guest");
    assertThatThrownBy(() -> SnpDerivedKey.derive(missing)).isInstanceOf(IOException.class)
        .hasMessageContaining("this is not an SEV-SNP guest").hasMessageContaining("--sealing-key FILE");
    byte[] jar = MessageDigest.getInstance("SHA-384").digest(new byte[1]);
    assertThatThrownBy(() -> Coordinator.start(CoordinatorConfig.builder(dir.resolve("state"), jar).tee("sev-snp")
        .snpGuestDevice(missing).tsmRoot(Files.createDirectories(dir.resolve("tsm"))).build()))
        .isInstanceOf(IOException.class).hasMessageContaining("this is not an SEV-SNP guest");
    assertThatThrownBy(() -> Coordinator.start(CoordinatorConfig.builder(dir.resolve("state2"), jar).tee("tdx")
        .build())).isInstanceOf(IOException.class).hasMessageStartingWith("--tee tdx needs --sealing-key FILE");
  }
}
