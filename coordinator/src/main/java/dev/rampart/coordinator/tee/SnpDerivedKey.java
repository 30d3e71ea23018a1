package dev.rampart.coordinator.tee;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A sealing secret from the AMD SEV-SNP firmware: {@code SNP_GET_DERIVED_KEY} on the guest's {@code /dev/sev-guest}
 * (Linux {@code include/uapi/linux/sev-guest.h}; the firmware's MSG_KEY_REQ, SEV-SNP firmware ABI). The request
 * selects root key 0 and mixes in the guest's launch measurement and policy, so another image derives another key and
 * cannot unseal; it does not select the TCB version or guest SVN fields. Whether the root is the chip's VCEK or, on
 * hosts with a VLEK installed, the provider's VLEK, and whether a TCB update changes the key, depend on the firmware
 * and are not established here (docs/coordinator.md, "Sealing keys on real TEEs"). The ioctl goes through JNA (libc's {@code ioctl});
 * the structures are encoded here and tested against the kernel ABI's layout (JNA 4.3, which DL4J's dependencies
 * already bring).
 */
public final class SnpDerivedKey {
  /** The SNP guest driver's device. */
  public static final Path DEVICE = Path.of("/dev/sev-guest");
  /** {@code struct snp_guest_request_ioctl}: u8 msg_version, 7 bytes padding, u64 req_data, u64 resp_data, u64 exitinfo2. */
  static final int GUEST_REQUEST_BYTES = 32;
  /** {@code struct snp_derived_key_req}: u32 root_key_select, u32 rsvd, u64 guest_field_select, u32 vmpl, u32 guest_svn, u64 tcb_version. */
  static final int KEY_REQUEST_BYTES = 32;
  /** {@code struct snp_derived_key_resp}: the firmware's MSG_KEY_RSP, u32 status, 28 reserved bytes, the 32-byte key. */
  static final int KEY_RESPONSE_BYTES = 64;
  /** {@code SNP_GET_DERIVED_KEY = _IOWR('S', 0x1, struct snp_guest_request_ioctl)}. */
  static final long SNP_GET_DERIVED_KEY = ioWriteRead('S', 0x1, GUEST_REQUEST_BYTES);
  /** guest_field_select: bit 0 the guest policy, bit 3 the launch measurement. */
  static final long GUEST_FIELDS = (1L << 0) | (1L << 3);

  private SnpDerivedKey() {}

  /** Linux's {@code _IOWR(type, nr, size)}: direction read|write (3) in bits 30-31, the size in bits 16-29. */
  static long ioWriteRead(char type, int nr, int size) {
    return (3L << 30) | ((long) size << 16) | ((long) type << 8) | nr;
  }

  /** The request: the VCEK root (0), the policy and the measurement, at {@code vmpl}; no SVN, no TCB version. */
  static byte[] request(int vmpl) {
    ByteBuffer b = ByteBuffer.allocate(KEY_REQUEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0); // root_key_select: 0 = VCEK
    b.putInt(0); // rsvd
    b.putLong(GUEST_FIELDS);
    b.putInt(vmpl);
    b.putInt(0); // guest_svn
    b.putLong(0); // tcb_version
    return b.array();
  }

  /**
   * The key from the firmware's response, after the ioctl's and the firmware's status.
   *
   * @param exitinfo2 the ioctl structure's last field: bits 63-32 the VMM's error, 31-0 the firmware's
   * @throws IOException naming the error when either reports one
   */
  static byte[] key(byte[] response, long exitinfo2) throws IOException {
    if (response.length != KEY_RESPONSE_BYTES) {
      throw new IOException("an SNP derived-key response is " + KEY_RESPONSE_BYTES + " bytes, got " + response.length);
    }
    long status = ByteBuffer.wrap(response).order(ByteOrder.LITTLE_ENDIAN).getInt(0) & 0xffffffffL;
    if (exitinfo2 != 0 || status != 0) {
      throw new IOException(String.format("the SEV-SNP firmware refused the derived-key request (firmware error"
          + " 0x%x, VMM error 0x%x, status 0x%x): the guest's VMPL may not allow it", exitinfo2 & 0xffffffffL,
          exitinfo2 >>> 32, status));
    }
    return Arrays.copyOfRange(response, 0x20, 0x40);
  }

  /** libc, as JNA binds it. */
  interface LibC extends Library {
    int open(String path, int flags);

    int ioctl(int fd, NativeLong request, Pointer argument);

    int close(int fd);
  }

  /**
   * The 32-byte sealing secret of this guest, at VMPL 0.
   *
   * @throws IOException if this is not an SEV-SNP guest with the sev-guest driver, or the firmware refuses
   */
  public static byte[] derive(Path device) throws IOException {
    if (!Files.exists(device)) {
      throw new IOException(device + " does not exist: this is not an SEV-SNP guest with the sev-guest driver, so"
          + " no sealing key can be derived; run in an SNP guest, or pass --sealing-key FILE from a key broker");
    }
    LibC libc;
    try {
      libc = Native.loadLibrary("c", LibC.class);
    } catch (UnsatisfiedLinkError e) {
      throw new IOException("libc cannot be loaded through JNA to call the sev-guest driver: " + e.getMessage());
    }
    int fd = libc.open(device.toString(), 2); // O_RDWR
    if (fd < 0) {
      throw new IOException("cannot open " + device + " (errno " + Native.getLastError() + "): run as a user who may");
    }
    Memory req = new Memory(KEY_REQUEST_BYTES);
    Memory resp = new Memory(KEY_RESPONSE_BYTES);
    Memory guest = new Memory(GUEST_REQUEST_BYTES);
    try {
      req.write(0, request(0), 0, KEY_REQUEST_BYTES);
      resp.clear();
      guest.clear();
      guest.setByte(0, (byte) 1); // msg_version
      guest.setLong(8, Pointer.nativeValue(req));
      guest.setLong(16, Pointer.nativeValue(resp));
      int rc = libc.ioctl(fd, new NativeLong(SNP_GET_DERIVED_KEY), guest);
      long exitinfo2 = guest.getLong(24);
      if (rc < 0 && exitinfo2 == 0) {
        throw new IOException("the SNP_GET_DERIVED_KEY ioctl on " + device + " failed (errno "
            + Native.getLastError() + ")");
      }
      byte[] out = resp.getByteArray(0, KEY_RESPONSE_BYTES);
      try {
        return key(out, exitinfo2);
      } finally {
        Arrays.fill(out, (byte) 0);
      }
    } finally {
      resp.clear(); // the key never outlives this call in native memory
      libc.close(fd);
    }
  }
}
