package dev.rampart.attestation.snp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The SEV-SNP launch digest a guest will report as {@code MEASUREMENT}, computed from its boot inputs, so that an
 * auditor knows what value to pin without trusting whoever launches the guest. The firmware's launch flow
 * (AMD SEV-SNP firmware ABI, SNP_LAUNCH_UPDATE): the digest starts at 48 zero bytes and, for every page the VMM
 * adds, becomes {@code SHA-384(PAGE_INFO)}, where PAGE_INFO is the digest so far, the page's contents digest (the
 * SHA-384 of its bytes for normal and VMSA pages, zeros for the others), the structure's length 0x70, the page
 * type, IMI and VMPL permission bytes (zero) and the guest-physical address. The pages are, in QEMU's (and EC2's,
 * GCE's) order: the OVMF image's, mapped to end at 4 GiB; the sections OVMF's SEV metadata declares (zero pages,
 * the secrets page, the CPUID page, the SEV hashes table of a measured direct boot: SHA-256 of the kernel, initrd
 * and command line, in QEMU's layout); one VMSA page per vCPU (the initial register state, which differs slightly
 * between VMMs). Checked against the known answers of virtee/sev-snp-measure's test suite
 * ({@code ../shared/testvectors/measurement/snp}).
 */
public final class SnpLaunchDigest {
  private static final int PAGE = 4096;
  private static final long FOUR_GIB = 1L << 32;
  /** The VMSA page's address in the RMP: page-aligned -1 with the bits above 51 cleared. */
  private static final long VMSA_GPA = 0xFFFFFFFFF000L;
  private static final long BSP_EIP = 0xfffffff0L;

  private static final UUID FOOTER_GUID = UUID.fromString("96b582de-1fb2-45f7-baea-a366c55a082d");
  private static final UUID SEV_HASH_TABLE_RV_GUID = UUID.fromString("7255371f-3a3b-4b04-927b-1da6efa8d454");
  private static final UUID SEV_ES_RESET_BLOCK_GUID = UUID.fromString("00f771de-1a7e-4fcb-890e-68c77e2fb44e");
  private static final UUID SEV_METADATA_GUID = UUID.fromString("dc886566-984a-4798-a75e-5585a7bf67cc");
  private static final UUID HASH_TABLE_HEADER_GUID = UUID.fromString("9438d606-4f22-4cc9-b479-a793d411fd21");
  private static final UUID KERNEL_ENTRY_GUID = UUID.fromString("4de79437-abd2-427f-b835-d5b172d2045b");
  private static final UUID INITRD_ENTRY_GUID = UUID.fromString("44baf731-3a2f-4bd7-9af1-41e29169781d");
  private static final UUID CMDLINE_ENTRY_GUID = UUID.fromString("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");

  /** Bounds the work a crafted image can ask for: real OVMF declares a few dozen pages of sections. */
  static final long MAX_SECTION_PAGES = 1 << 16;

  /** The most vCPUs a guest may have (the VMSA pages are measured one by one). */
  public static final int MAX_VCPUS = 512;

  private SnpLaunchDigest() {}

  /** The VMM that launches the guest: their initial register states (VMSA) and page orders differ. */
  public enum Vmm {
    QEMU, EC2, GCE;

    public static Vmm parse(String s) {
      for (Vmm v : values()) {
        if (v.name().equalsIgnoreCase(s)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown VMM '" + s + "': use qemu, ec2 or gce");
    }
  }

  /**
   * A boot's inputs.
   *
   * @param ovmf the firmware image (a whole number of 4 KiB pages)
   * @param ovmfDigest the launch digest of the firmware's pages, precomputed (48 bytes), or null to hash
   *     {@code ovmf}'s pages; the image is still read for its footer table and metadata
   * @param kernelSha256 for a measured direct boot, the SHA-256 of the kernel; null for none
   * @param initrdSha256 the SHA-256 of the initrd (of nothing when none is given); only with a kernel
   * @param append the kernel command line, or null for none (measured as the empty string); only with a kernel
   * @param vcpuSignature the CPUID signature QEMU puts in RDX (see {@link #cpuSignature}); 0 for none
   * @param guestFeatures the SEV features the guest runs with (0x1: SNP alone)
   */
  public record Inputs(byte[] ovmf, byte[] ovmfDigest, byte[] kernelSha256, byte[] initrdSha256, String append,
      int vcpus, long vcpuSignature, long guestFeatures, Vmm vmm) {}

  /** Inputs that cannot be measured; the message says which and why. */
  public static final class MeasurementException extends Exception {
    private static final long serialVersionUID = 1L;

    MeasurementException(String message) {
      super(message);
    }
  }

  /** The CPUID signature (family, model, stepping; AMD's CPUID specification #25481, Fn0000_0001_EAX). */
  public static long cpuSignature(int family, int model, int stepping) {
    int familyLow = family > 0xf ? 0xf : family;
    int familyHigh = family > 0xf ? (family - 0xf) & 0xff : 0;
    return ((long) familyHigh << 20) | ((long) ((model >> 4) & 0xf) << 16) | ((long) familyLow << 8)
        | ((long) (model & 0xf) << 4) | (stepping & 0xf);
  }

  /** QEMU's named EPYC CPU models, as {@code --vcpu-type} takes them. */
  public static final Map<String, Long> VCPU_TYPES = vcpuTypes();

  private static Map<String, Long> vcpuTypes() {
    Map<String, Long> m = new HashMap<>();
    for (String n : List.of("EPYC", "EPYC-v1", "EPYC-v2", "EPYC-IBPB", "EPYC-v3", "EPYC-v4")) {
      m.put(n, cpuSignature(23, 1, 2));
    }
    for (String n : List.of("EPYC-Rome", "EPYC-Rome-v1", "EPYC-Rome-v2", "EPYC-Rome-v3")) {
      m.put(n, cpuSignature(23, 49, 0));
    }
    for (String n : List.of("EPYC-Milan", "EPYC-Milan-v1", "EPYC-Milan-v2")) {
      m.put(n, cpuSignature(25, 1, 1));
    }
    for (String n : List.of("EPYC-Genoa", "EPYC-Genoa-v1")) {
      m.put(n, cpuSignature(25, 17, 0));
    }
    m.put("EPYC-Turin", cpuSignature(26, 0, 0));
    return Map.copyOf(m);
  }

  /** The launch digest, 48 bytes. */
  public static byte[] compute(Inputs in) throws MeasurementException {
    Objects.requireNonNull(in.vmm(), "vmm");
    if (in.vcpus() < 1 || in.vcpus() > MAX_VCPUS) {
      throw new MeasurementException("--vcpus must be 1.." + MAX_VCPUS + ", got " + in.vcpus());
    }
    if (in.kernelSha256() == null && (in.initrdSha256() != null || in.append() != null)) {
      throw new MeasurementException("an initrd or a command line is measured only with a kernel: give --kernel");
    }
    Ovmf ovmf = Ovmf.parse(in.ovmf());
    Digest ld = new Digest(in.ovmfDigest());
    if (in.ovmfDigest() == null) {
      ld.normalPages(FOUR_GIB - in.ovmf().length, in.ovmf());
    }
    boolean kernelHashes = false;
    for (Section s : ovmf.sections) {
      switch (s.type) {
        case 1 -> { // SNP_SEC_MEM
          if (in.vmm() == Vmm.GCE) {
            ld.pages(0x04, s.gpa, s.size); // GCE does not measure them
          } else {
            ld.pages(0x03, s.gpa, s.size);
          }
        }
        case 2 -> ld.page(0x05, s.gpa, ZEROS); // secrets
        case 3 -> { // CPUID: EC2 adds it after every other section
          if (in.vmm() != Vmm.EC2) {
            ld.page(0x06, s.gpa, ZEROS);
          }
        }
        case 4 -> ld.pages(0x03, s.gpa, s.size); // SVSM calling area
        case 0x10 -> { // SNP_KERNEL_HASHES
          kernelHashes = true;
          if (in.kernelSha256() != null) {
            long table = ovmf.hashesTableGpa();
            if (table < s.gpa || table >= s.gpa + s.size) {
              throw new MeasurementException("the OVMF's SEV hash table (at 0x" + Long.toHexString(table)
                  + ") is outside its SNP_KERNEL_HASHES section");
            }
            byte[] page = hashesPage(ovmf, in);
            if (page.length != s.size) {
              throw new MeasurementException("the OVMF metadata's SNP_KERNEL_HASHES section is " + s.size
                  + " bytes, not one page");
            }
            ld.normalPages(s.gpa, page);
          } else {
            ld.pages(0x03, s.gpa, s.size);
          }
        }
        default -> throw new MeasurementException("the OVMF metadata has a section of unknown type " + s.type);
      }
    }
    if (in.vmm() == Vmm.EC2) {
      for (Section s : ovmf.sections) {
        if (s.type == 3) {
          ld.page(0x06, s.gpa, ZEROS);
        }
      }
    }
    if (in.kernelSha256() != null && !kernelHashes) {
      throw new MeasurementException("kernel given but the OVMF metadata has no SNP_KERNEL_HASHES section (this"
          + " firmware does not measure a direct boot: build OVMF from OvmfPkg/AmdSev/AmdSevX64.dsc)");
    }
    if (in.vcpus() > 1 && ovmf.resetEip == 0) {
      throw new MeasurementException("this OVMF has no SEV-ES reset block: it cannot start more than one vCPU");
    }
    for (int i = 0; i < in.vcpus(); i++) {
      ld.page(0x02, VMSA_GPA, sha384(vmsa(i == 0 ? BSP_EIP : ovmf.resetEip, in)));
    }
    return ld.value;
  }

  private static final byte[] ZEROS = new byte[48];

  /** The running digest and its PAGE_INFO update. */
  private static final class Digest {
    byte[] value;

    Digest(byte[] seed) throws MeasurementException {
      if (seed != null && seed.length != 48) {
        throw new MeasurementException("a precomputed OVMF digest is 48 bytes (96 hex digits), got " + seed.length);
      }
      value = seed == null ? new byte[48] : seed.clone();
    }

    void page(int type, long gpa, byte[] contents) {
      ByteBuffer info = ByteBuffer.allocate(0x70).order(ByteOrder.LITTLE_ENDIAN);
      info.put(value).put(contents).putShort((short) 0x70).put((byte) type).put((byte) 0) // is_imi
          .put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0) // vmpl3, vmpl2, vmpl1 permissions, reserved
          .putLong(gpa);
      value = sha384(info.array());
    }

    void pages(int type, long gpa, long size) throws MeasurementException {
      if (size % PAGE != 0) {
        throw new MeasurementException("an OVMF metadata section of " + size + " bytes is not whole pages");
      }
      for (long off = 0; off < size; off += PAGE) {
        page(type, gpa + off, ZEROS);
      }
    }

    void normalPages(long gpa, byte[] data) {
      for (int off = 0; off < data.length; off += PAGE) {
        MessageDigest d = sha384();
        d.update(data, off, PAGE);
        page(0x01, gpa + off, d.digest());
      }
    }
  }

  private record Section(long gpa, long size, int type) {}

  /** What the launch needs of the OVMF image: its GUIDed footer table and its SEV metadata. */
  private record Ovmf(Map<UUID, byte[]> table, List<Section> sections, long resetEip) {
    static Ovmf parse(byte[] image) throws MeasurementException {
      if (image == null || image.length == 0 || image.length % PAGE != 0 || image.length > FOUR_GIB / 2) {
        throw new MeasurementException("the OVMF image must be a whole number of 4 KiB pages, got "
            + (image == null ? 0 : image.length) + " bytes");
      }
      Map<UUID, byte[]> table = new HashMap<>();
      int header = 18; // uint16 size, then a GUID
      int footer = image.length - 32 - header; // the table ends 32 bytes before the end of the image
      if (footer >= 0 && guid(image, footer + 2).equals(FOOTER_GUID)) {
        int tableSize = u16(image, footer) - header;
        int end = footer;
        int start = footer - tableSize;
        if (tableSize < 0 || start < 0) {
          throw new MeasurementException("the OVMF footer table's size does not fit the image");
        }
        while (end - start >= header) {
          int size = u16(image, end - header);
          if (size < header || end - size < start) {
            throw new MeasurementException("the OVMF footer table has an entry of invalid size " + size);
          }
          table.put(guid(image, end - header + 2), java.util.Arrays.copyOfRange(image, end - size, end - header));
          end -= size;
        }
      }
      List<Section> sections = new ArrayList<>();
      byte[] meta = table.get(SEV_METADATA_GUID);
      if (meta == null) {
        throw new MeasurementException("the OVMF image has no SEV metadata in its footer table: it cannot launch an"
            + " SEV-SNP guest (build OVMF with SEV support, e.g. OvmfPkg/AmdSev/AmdSevX64.dsc)");
      }
      if (meta.length < 4) {
        throw new MeasurementException("the OVMF footer table's SEV metadata entry is too short");
      }
      long fromEnd = u32(meta, 0);
      long at = image.length - fromEnd;
      if (fromEnd < 16 || at < 0) {
        throw new MeasurementException("the OVMF SEV metadata offset " + fromEnd + " is outside the image");
      }
      int p = (int) at;
      if (!new String(image, p, 4, StandardCharsets.US_ASCII).equals("ASEV") || u32(image, p + 8) != 1) {
        throw new MeasurementException("the OVMF SEV metadata has a wrong signature or version (ASEV, 1 expected)");
      }
      long items = u32(image, p + 12);
      if (items > 64 || p + 16 + items * 12 > image.length) {
        throw new MeasurementException("the OVMF SEV metadata declares " + items + " sections, beyond the image");
      }
      long pages = 0;
      for (int i = 0; i < items; i++) {
        int q = p + 16 + 12 * i;
        Section section = new Section(u32(image, q), u32(image, q + 4), (int) u32(image, q + 8));
        pages += (section.size + PAGE - 1) / PAGE;
        if (pages > MAX_SECTION_PAGES) {
          throw new MeasurementException("the OVMF SEV metadata declares more than " + MAX_SECTION_PAGES
              + " pages of sections");
        }
        sections.add(section);
      }
      byte[] reset = table.get(SEV_ES_RESET_BLOCK_GUID);
      return new Ovmf(table, sections, reset == null || reset.length < 4 ? 0 : u32(reset, 0));
    }

    long hashesTableGpa() throws MeasurementException {
      byte[] e = table.get(SEV_HASH_TABLE_RV_GUID);
      if (e == null || e.length < 4) {
        throw new MeasurementException("the OVMF footer table has no SEV hash table entry");
      }
      return u32(e, 0);
    }
  }

  /** QEMU's SEV hashes table (header, then command line, initrd, kernel entries), padded to 16, in its page. */
  private static byte[] hashesPage(Ovmf ovmf, Inputs in) throws MeasurementException {
    int entry = 16 + 2 + 32;
    int tableLength = 16 + 2 + 3 * entry;
    int padded = (tableLength + 15) & ~15;
    int offset = (int) (ovmf.hashesTableGpa() & 0xfff);
    if (offset + padded > PAGE) {
      throw new MeasurementException("the OVMF's SEV hash table does not fit its page");
    }
    byte[] cmdline = (in.append() == null ? "" : in.append()).getBytes(StandardCharsets.UTF_8);
    MessageDigest c = sha256();
    c.update(cmdline);
    c.update((byte) 0);
    byte[] initrd = in.initrdSha256() != null ? in.initrdSha256() : sha256().digest();
    ByteBuffer page = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
    page.position(offset);
    putGuid(page, HASH_TABLE_HEADER_GUID).putShort((short) tableLength);
    putGuid(page, CMDLINE_ENTRY_GUID).putShort((short) entry).put(c.digest());
    putGuid(page, INITRD_ENTRY_GUID).putShort((short) entry).put(check32(initrd));
    putGuid(page, KERNEL_ENTRY_GUID).putShort((short) entry).put(check32(in.kernelSha256()));
    return page.array();
  }

  private static byte[] check32(byte[] sha256) throws MeasurementException {
    if (sha256.length != 32) {
      throw new MeasurementException("a kernel or initrd digest is 32 bytes (SHA-256)");
    }
    return sha256;
  }

  /** The initial VMSA of a vCPU (AMD APM vol. 2, table B-4), as the VMM writes it before launch. */
  private static byte[] vmsa(long eip, Inputs in) {
    int cs = 0x9b;
    int ss = 0x93;
    int tr = 0x8b;
    long rdx = in.vcpuSignature();
    long gPat = 0x0007040600070406L; // the PAT MSR's reset value (AMD APM vol. 2, A.3)
    int mxcsr = 0x1f80;
    int fcw = 0x37f;
    if (in.vmm() == Vmm.EC2) {
      cs = eip == BSP_EIP ? 0x9a : 0x9b;
      ss = 0x92;
      tr = 0x83;
      rdx = 0x600;
      mxcsr = 0;
      fcw = 0;
    } else if (in.vmm() == Vmm.GCE) {
      gPat = 0x00070106L; // GCE's hypervisor writes its own
      rdx = 0x600;
      mxcsr = 0;
      fcw = 0;
    }
    ByteBuffer v = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
    segment(v, 0x00, 0, 0x93, 0xffff, 0); // es
    segment(v, 0x10, 0xf000, cs, 0xffff, eip & 0xffff0000L); // cs
    segment(v, 0x20, 0, ss, 0xffff, 0); // ss
    segment(v, 0x30, 0, 0x93, 0xffff, 0); // ds
    segment(v, 0x40, 0, 0x93, 0xffff, 0); // fs
    segment(v, 0x50, 0, 0x93, 0xffff, 0); // gs
    segment(v, 0x60, 0, 0, 0xffff, 0); // gdtr
    segment(v, 0x70, 0, 0x82, 0xffff, 0); // ldtr
    segment(v, 0x80, 0, 0, 0xffff, 0); // idtr
    segment(v, 0x90, 0, tr, 0xffff, 0); // tr
    v.putLong(0xd0, 0x1000); // efer: KVM sets SVME
    v.putLong(0x148, 0x40); // cr4: KVM sets MCE
    v.putLong(0x158, 0x10); // cr0
    v.putLong(0x160, 0x400); // dr7
    v.putLong(0x168, 0xffff0ff0L); // dr6
    v.putLong(0x170, 0x2); // rflags
    v.putLong(0x178, eip & 0xffff); // rip
    v.putLong(0x268, gPat);
    v.putLong(0x310, rdx);
    v.putLong(0x3b0, in.guestFeatures()); // sev_features
    v.putLong(0x3e8, 0x1); // xcr0
    v.putInt(0x408, mxcsr);
    v.putShort(0x410, (short) fcw); // x87 fcw
    return v.array();
  }

  private static void segment(ByteBuffer v, int at, int selector, int attrib, long limit, long base) {
    v.putShort(at, (short) selector).putShort(at + 2, (short) attrib).putInt(at + 4, (int) limit).putLong(at + 8, base);
  }

  private static ByteBuffer putGuid(ByteBuffer b, UUID g) {
    // a GUID in memory: its first three fields little-endian, the rest as written
    long msb = g.getMostSignificantBits();
    b.putInt((int) (msb >>> 32)).putShort((short) (msb >>> 16)).putShort((short) msb);
    return b.order(ByteOrder.BIG_ENDIAN).putLong(g.getLeastSignificantBits()).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static UUID guid(byte[] b, int at) {
    ByteBuffer le = ByteBuffer.wrap(b, at, 16).order(ByteOrder.LITTLE_ENDIAN);
    long a = le.getInt() & 0xffffffffL;
    long m = le.getShort() & 0xffffL;
    long c = le.getShort() & 0xffffL;
    long lsb = ByteBuffer.wrap(b, at + 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
    return new UUID((a << 32) | (m << 16) | c, lsb);
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
  }

  private static long u32(byte[] b, int at) {
    return ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
  }

  static byte[] sha384(byte[] data) {
    return sha384().digest(data);
  }

  private static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh SHA-256, for the kernel's and initrd's digests. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The digest as the command prints it. */
  public static String hex(byte[] digest) {
    return java.util.HexFormat.of().formatHex(digest);
  }
}
