package dev.rampart.coordinator.tee;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Evidence from the Linux kernel's configfs-tsm interface ({@code Documentation/ABI/testing/configfs-tsm}),
 * which SEV-SNP ({@code sev_guest}) and TDX ({@code tdx_guest}) guests share: make an entry directory under
 * {@code /sys/kernel/config/tsm/report}, write the report data to {@code inblob}, read the report or quote
 * from {@code outblob} (SNP: the certificate table from {@code auxblob}), check that {@code generation} did not
 * move in between (another writer on the same entry would mean the blob answers someone else's inblob), and
 * remove the entry. Plain file I/O: no native code, no ioctl.
 *
 * <p>TDX quotes are verified against Intel's collateral (TCB info, QE identity, CRLs), which the guest cannot
 * produce: the operator keeps a file of it fresh (from Intel's PCS or a local PCCS, in dcap-qvl's JSON), it is read
 * at every attestation and carried in the bundle. It is signed by Intel, so carrying it is safe: a stale or forged one
 * fails verification like a bad quote.
 */
public final class ConfigfsTsmAttester implements Attester {
  public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");
  /** The file names {@code --snp-certs} looks for, in this order (snpguest's names). */
  static final java.util.List<String> SNP_CERT_FILES = java.util.List.of("vcek.der", "vcek.pem", "vlek.der",
      "vlek.pem");
  /** Intel's collateral for one FMSPC is a few tens of KiB. */
  static final long MAX_COLLATERAL_BYTES = 1 << 20;

  /**
   * What the kernel does on its side of the files. Production: nothing (configfs itself creates the
   * attribute files on mkdir and computes outblob on read). Tests emulate the kernel with a plain directory
   * tree and fill the files in here.
   */
  public interface KernelSide {
    KernelSide CONFIGFS = new KernelSide() {};

    default void inblobWritten(Path entry, byte[] inblob) throws IOException {}

    /** Removes the entry; configfs removes attribute files with the directory. */
    default void remove(Path entry) throws IOException {
      Files.delete(entry);
    }
  }

  private final Path root;
  private final String platform;
  private final String expectedProvider;
  private final KernelSide kernel;
  private final Path tdxCollateral;
  private final Path snpCerts;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param platform "sev-snp" or "tdx"
   */
  public ConfigfsTsmAttester(Path root, String platform, KernelSide kernel) {
    this(root, platform, kernel, null);
  }

  /**
   * @param platform "sev-snp" or "tdx"
   * @param tdxCollateral TDX: the collateral file (required for tdx); null for sev-snp
   */
  public ConfigfsTsmAttester(Path root, String platform, KernelSide kernel, Path tdxCollateral) {
    this(root, platform, kernel, tdxCollateral, null);
  }

  /**
   * @param platform "sev-snp" or "tdx"
   * @param tdxCollateral TDX: the collateral file (required for tdx); null for sev-snp
   * @param snpCerts SEV-SNP: a directory holding the chip's {@code vcek.der} (or {@code vcek.pem}, {@code vlek.der},
   *     {@code vlek.pem}), used instead of the host's certificate table (auxblob); null to take the table
   */
  public ConfigfsTsmAttester(Path root, String platform, KernelSide kernel, Path tdxCollateral, Path snpCerts) {
    this.snpCerts = snpCerts;
    this.tdxCollateral = tdxCollateral;
    this.root = root;
    this.platform = platform;
    this.expectedProvider = switch (platform) {
      case "sev-snp" -> "sev_guest";
      case "tdx" -> "tdx_guest";
      default -> throw new IllegalArgumentException("configfs-tsm serves sev-snp or tdx, not " + platform);
    };
    this.kernel = kernel;
  }

  /** Checks at boot that the interface exists, so a misconfigured host fails at once and says why. */
  public void checkAvailable() throws IOException {
    if (platform.equals("tdx") && tdxCollateral == null) {
      throw new IOException("--tee tdx needs --tdx-collateral FILE: Intel's TCB info, QE identity and CRLs for this"
          + " platform (dcap-qvl's JSON, from Intel's PCS or your PCCS), which every verifier needs; keep it fresh");
    }
    if (tdxCollateral != null) {
      collateral(); // readable now, not at the first client
    }
    if (snpCerts != null && !Files.isDirectory(snpCerts)) {
      throw new IOException("--snp-certs " + snpCerts + " is not a directory");
    }
    if (!Files.isDirectory(root)) {
      throw new IOException(root + " does not exist: this is not a " + platform + " guest with configfs-tsm"
          + " (Linux 6.7+, configfs mounted at /sys/kernel/config); use --tee simulated for development");
    }
  }

  @Override
  public String platform() {
    return platform;
  }

  @Override
  public synchronized AttestationBundle attest(byte[] reportData) throws IOException {
    if (reportData.length != 64) {
      throw new IllegalArgumentException("report data must be 64 bytes, got " + reportData.length);
    }
    byte[] id = new byte[8];
    random.nextBytes(id);
    Path entry = root.resolve("rampart-" + HexFormat.of().formatHex(id));
    Files.createDirectory(entry);
    try {
      Files.write(entry.resolve("inblob"), reportData);
      kernel.inblobWritten(entry, reportData);
      String before = readText(entry, "generation");
      byte[] out = Files.readAllBytes(entry.resolve("outblob"));
      byte[] aux = readOptional(entry.resolve("auxblob"));
      String provider = readText(entry, "provider");
      String after = readText(entry, "generation");
      if (!before.equals(after)) {
        throw new IOException("configfs-tsm entry " + entry + " changed while being read (generation " + before
            + " -> " + after + "): another process is using it");
      }
      if (!expectedProvider.equals(provider)) {
        throw new IOException("configfs-tsm provider is '" + provider + "', expected '" + expectedProvider
            + "' for --tee " + platform);
      }
      if (out.length == 0) {
        throw new IOException("configfs-tsm returned an empty " + platform + " report");
      }
      // SNP: auxblob is the GUID-indexed certificate table (VCEK or VLEK, ASK, ARK) when the host provides
      // it; callers verify against AMD's chains built into their verifier, so only the VCEK/VLEK is passed on.
      byte[] endorsementKey = null;
      if (platform.equals("sev-snp")) {
        // the operator's file when given (it chose it), else the host's table
        endorsementKey = snpCerts != null || aux.length == 0 ? fileEndorsementKey()
            : SnpCertificateTable.endorsementKey(aux);
      }
      return new AttestationBundle(platform, out, endorsementKey, null, platform.equals("tdx") ? collateral() : null);
    } finally {
      kernel.remove(entry);
    }
  }

  /** The VCEK/VLEK from {@code --snp-certs}, as DER. */
  private byte[] fileEndorsementKey() throws IOException {
    if (snpCerts == null) {
      throw new IOException("the host provided no SEV-SNP certificate table (auxblob is empty): pass --snp-certs DIR"
          + " with this chip's vcek.der (fetch it from AMD's KDS for the report's chip id and TCB)");
    }
    for (String name : SNP_CERT_FILES) {
      Path f = snpCerts.resolve(name);
      if (Files.isRegularFile(f)) {
        if (Files.size(f) > 64 * 1024) {
          throw new IOException("--snp-certs " + f + " is larger than a certificate");
        }
        byte[] bytes = Files.readAllBytes(f);
        if (!name.endsWith(".pem")) {
          return bytes;
        }
        String pem = new String(bytes, StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN CERTIFICATE-----");
        int end = pem.indexOf("-----END CERTIFICATE-----");
        if (begin < 0 || end < begin) {
          throw new IOException("--snp-certs " + f + " holds no PEM certificate");
        }
        try {
          return java.util.Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        } catch (IllegalArgumentException e) {
          throw new IOException("--snp-certs " + f + " is not valid PEM");
        }
      }
    }
    throw new IOException("--snp-certs " + snpCerts + " holds none of " + SNP_CERT_FILES);
  }

  private byte[] collateral() throws IOException {
    long size;
    try {
      size = Files.size(tdxCollateral);
    } catch (NoSuchFileException e) {
      throw new IOException("--tdx-collateral " + tdxCollateral + " does not exist: fetch it from Intel's PCS or your"
          + " PCCS");
    }
    if (size == 0 || size > MAX_COLLATERAL_BYTES) {
      throw new IOException("--tdx-collateral " + tdxCollateral + " is " + size + " bytes; a collateral is 1 byte to "
          + MAX_COLLATERAL_BYTES);
    }
    return Files.readAllBytes(tdxCollateral);
  }

  private static String readText(Path entry, String name) throws IOException {
    return Files.readString(entry.resolve(name), StandardCharsets.US_ASCII).trim();
  }

  private static byte[] readOptional(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new byte[0];
    }
  }
}
