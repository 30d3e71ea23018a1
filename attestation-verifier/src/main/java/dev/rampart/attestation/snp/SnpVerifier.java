package dev.rampart.attestation.snp;

import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.Check;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import dev.rampart.attestation.Platform;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.attestation.internal.Certificates;
import dev.rampart.attestation.internal.ReportDataBinding;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Verifies an SEV-SNP report and its endorsement: ARK → ASK → VCEK (or ARK → ASVK → VLEK) to a pinned AMD root
 * (or, when the policy allows it, to the pinned simulated root), the report's ECDSA P-384 signature, TCB and
 * chip id against the endorsement certificate's extensions, the product, the guest policy, the measurement
 * and the channel binding. Every check runs, so a result names all that failed.
 */
public final class SnpVerifier {
  static final String AMD_OID = "1.3.6.1.4.1.3704.1.";
  static final ASN1ObjectIdentifier PRODUCT_NAME = new ASN1ObjectIdentifier(AMD_OID + "2");
  static final ASN1ObjectIdentifier BOOTLOADER_SPL = new ASN1ObjectIdentifier(AMD_OID + "3.1");
  static final ASN1ObjectIdentifier TEE_SPL = new ASN1ObjectIdentifier(AMD_OID + "3.2");
  static final ASN1ObjectIdentifier SNP_SPL = new ASN1ObjectIdentifier(AMD_OID + "3.3");
  static final ASN1ObjectIdentifier MICROCODE_SPL = new ASN1ObjectIdentifier(AMD_OID + "3.8");
  static final ASN1ObjectIdentifier FMC_SPL = new ASN1ObjectIdentifier(AMD_OID + "3.9");
  static final ASN1ObjectIdentifier HARDWARE_ID = new ASN1ObjectIdentifier(AMD_OID + "4");

  private SnpVerifier() {}

  /**
   * @param reportBytes the 0x4A0-byte report
   * @param endorsementKeyCert the VCEK or VLEK certificate (DER or PEM)
   * @param chain the ASK/ASVK and ARK (PEM bundle), or null for the built-in AMD chains
   * @param expectedNonce with {@code expectedSpki}: the binding to check, or both null
   * @throws EvidenceFormatException if the report or a certificate cannot be parsed at all
   */
  public static VerificationResult verify(byte[] reportBytes, byte[] endorsementKeyCert, byte[] chain,
      AttestationPolicy policy, Instant at, byte[] expectedNonce, byte[] expectedSpki)
      throws EvidenceFormatException {
    SnpReport report;
    try {
      report = SnpReport.parse(reportBytes);
    } catch (IllegalArgumentException e) {
      throw new EvidenceFormatException(e.getMessage());
    }
    if (endorsementKeyCert == null) {
      throw new EvidenceFormatException("SEV-SNP evidence needs its endorsement key certificate: pass the VCEK"
          + " (or VLEK) with --vcek");
    }
    X509CertificateHolder vek = Certificates.parseOne(endorsementKeyCert, "the VCEK/VLEK certificate");
    List<Failure> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>(policy.warnings());

    // which chain, and which root: AMD's pinned ARKs, or the pinned simulated root
    X509CertificateHolder intermediate;
    X509CertificateHolder root;
    if (chain != null) {
      List<X509CertificateHolder> certs = Certificates.parseBundle(chain, "the certificate chain (--chain)");
      if (certs.size() != 2) {
        throw new EvidenceFormatException("the chain must hold the ASK (or ASVK) then the ARK, found "
            + certs.size() + " certificates");
      }
      intermediate = certs.get(0);
      root = certs.get(1);
    } else {
      AmdRoots.Chain builtIn = AmdRoots.chainFor(vek);
      if (builtIn == null) {
        failures.add(new Failure(Check.CHAIN, "the endorsement key was issued by " + Certificates.name(vek.getIssuer())
            + ", which is no AMD ASK or ASVK; pass its chain with --chain"));
        intermediate = null;
        root = null;
      } else {
        intermediate = builtIn.intermediate();
        root = builtIn.ark();
      }
    }
    SnpProduct chainProduct = root == null ? null : AmdRoots.productOfArk(root);
    boolean simulated = false;
    if (root != null && chainProduct == null) {
      byte[] rootSha256 = Certificates.sha256(root);
      byte[] pinnedSimulated = policy.simulatedRootSha256();
      if (pinnedSimulated != null && MessageDigest.isEqual(rootSha256, pinnedSimulated)) {
        simulated = true;
        if (!policy.allowSimulated()) {
          failures.add(new Failure(Check.SIMULATED, "the evidence comes from the INSECURE simulated TEE and the"
              + " policy does not allow it"));
        }
        warnings.add("INSECURE: simulated TEE evidence; nothing protects data sent to this peer");
      } else {
        failures.add(new Failure(Check.CHAIN, "the chain's root " + Certificates.name(root.getSubject()) + " (SHA-256 "
            + HexFormat.of().formatHex(rootSha256) + ") is neither a pinned AMD ARK nor the pinned simulated"
            + " root"));
      }
    }
    Platform platform = simulated ? Platform.SIMULATED : Platform.SEV_SNP;
    if (!simulated && !policy.platforms().contains(Platform.SEV_SNP)) {
      failures.add(new Failure(Check.PLATFORM, "the policy does not accept sev-snp evidence"));
    }

    if (root != null) {
      checkChain(root, intermediate, vek, failures);
      for (X509CertificateHolder c : new X509CertificateHolder[] {root, intermediate, vek}) {
        if (!Certificates.isValidAt(c, at)) {
          failures.add(new Failure(Check.VALIDITY, "at " + at + " the certificate " + Certificates.window(c)
              + " is not valid"));
        }
      }
    }
    if (!signatureValid(report, vek)) {
      failures.add(new Failure(Check.SIGNATURE, "the report's ECDSA P-384 signature does not verify with the"
          + " endorsement key " + Certificates.name(vek.getSubject())));
    }

    SnpProduct reportProduct = SnpProduct.fromCpuid(report.cpuidFamily(), report.cpuidModel());
    if (!simulated && reportProduct != null && chainProduct != null && reportProduct != chainProduct) {
      failures.add(new Failure(Check.PRODUCT, "the report comes from a " + reportProduct.displayName()
          + " CPU but the chain is " + chainProduct.displayName() + "'s"));
    }
    SnpProduct layout = chainProduct != null ? chainProduct : reportProduct != null ? reportProduct : SnpProduct.MILAN;
    checkTcb(report, vek, layout, policy, failures);
    checkChipId(report, vek, layout, failures, warnings);

    if (report.vmpl() > policy.maxVmpl()) {
      failures.add(new Failure(Check.VMPL, "the report was requested at VMPL " + report.vmpl() + "; the policy accepts"
          + " VMPL " + policy.maxVmpl() + " at most (less privileged code chose its report data)"));
    }
    if (report.debugAllowed() && !policy.allowDebug()) {
      failures.add(new Failure(Check.DEBUG, "the guest policy (0x" + Long.toHexString(report.policy())
          + ") allows debugging: the host can read its memory"));
    }
    if (!policy.acceptsMeasurement(report.measurement())) {
      failures.add(new Failure(Check.MEASUREMENT, "measurement " + HexFormat.of().formatHex(report.measurement())
          + " is not one of the policy's"));
    }
    ReportDataBinding.check(report.reportData(), expectedNonce, expectedSpki, failures);
    return new VerificationResult(platform, simulated, report.measurement(), report.reportData(), null,
        failures, warnings);
  }

  private static void checkChain(X509CertificateHolder ark, X509CertificateHolder intermediate,
      X509CertificateHolder vek, List<Failure> failures) {
    if (!Certificates.isSignedBy(ark, ark)) {
      failures.add(new Failure(Check.CHAIN, "the root " + Certificates.name(ark.getSubject()) + " is not validly self-signed"));
    }
    if (!Certificates.isSignedBy(intermediate, ark)) {
      failures.add(new Failure(Check.CHAIN, Certificates.name(intermediate.getSubject()) + " is not signed by " + Certificates.name(ark.getSubject())));
    }
    if (!Certificates.isSignedBy(vek, intermediate)) {
      failures.add(new Failure(Check.CHAIN, "the endorsement key " + Certificates.name(vek.getSubject()) + " is not signed by "
          + Certificates.name(intermediate.getSubject()) + " (wrong product's chain, or a forged certificate)"));
    }
  }

  static boolean signatureValid(SnpReport report, X509CertificateHolder vek) {
    try {
      PublicKey key = Certificates.publicKey(vek);
      byte[] der = new DERSequence(new ASN1Encodable[] {
          new ASN1Integer(littleEndian(report.signatureR())), new ASN1Integer(littleEndian(report.signatureS()))
      }).getEncoded();
      Signature ecdsa = Signature.getInstance("SHA384withECDSA", Certificates.BC);
      ecdsa.initVerify(key);
      ecdsa.update(report.signedBytes());
      return ecdsa.verify(der);
    } catch (GeneralSecurityException | EvidenceFormatException | java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  static BigInteger littleEndian(byte[] le) {
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  /** The components of a TCB_VERSION word, by name. */
  static Map<String, Integer> decodeTcb(long tcb, SnpProduct layout) {
    Map<String, Integer> m = new LinkedHashMap<>();
    if (layout.turinTcbLayout()) {
      m.put("fmc", (int) (tcb & 0xFF));
      m.put("bootloader", (int) (tcb >>> 8 & 0xFF));
      m.put("tee", (int) (tcb >>> 16 & 0xFF));
      m.put("snp", (int) (tcb >>> 24 & 0xFF));
    } else {
      m.put("bootloader", (int) (tcb & 0xFF));
      m.put("tee", (int) (tcb >>> 8 & 0xFF));
      m.put("snp", (int) (tcb >>> 48 & 0xFF));
    }
    m.put("microcode", (int) (tcb >>> 56 & 0xFF));
    return m;
  }

  private static void checkTcb(SnpReport report, X509CertificateHolder vek, SnpProduct layout,
      AttestationPolicy policy, List<Failure> failures) {
    Map<String, Integer> reported = decodeTcb(report.reportedTcb(), layout);
    Map<String, ASN1ObjectIdentifier> oids = new LinkedHashMap<>();
    if (layout.turinTcbLayout()) {
      oids.put("fmc", FMC_SPL);
    }
    oids.put("bootloader", BOOTLOADER_SPL);
    oids.put("tee", TEE_SPL);
    oids.put("snp", SNP_SPL);
    oids.put("microcode", MICROCODE_SPL);
    for (Map.Entry<String, ASN1ObjectIdentifier> e : oids.entrySet()) {
      Integer certified = integerExtension(vek, e.getValue());
      if (certified == null) {
        failures.add(new Failure(Check.TCB, "the endorsement key certificate has no readable " + e.getKey()
            + " TCB extension (" + e.getValue() + ")"));
      } else if (!certified.equals(reported.get(e.getKey()))) {
        failures.add(new Failure(Check.TCB, "REPORTED_TCB " + e.getKey() + "=" + reported.get(e.getKey())
            + " but the endorsement key was certified for " + certified));
      }
    }
    for (Map.Entry<String, Integer> min : policy.minTcb().entrySet()) {
      Integer have = reported.get(min.getKey());
      if (have == null || have < min.getValue()) {
        failures.add(new Failure(Check.TCB, "TCB " + min.getKey() + "=" + have + " is below the policy's minimum "
            + min.getValue() + ": the platform needs a firmware or microcode update"));
      }
    }
  }

  private static void checkChipId(SnpReport report, X509CertificateHolder vek, SnpProduct layout,
      List<Failure> failures, List<String> warnings) {
    if (report.signingKey() != 0) {
      return; // a VLEK is issued to a cloud provider, not to one chip: it carries no hardware id
    }
    int n = layout.turinTcbLayout() ? 8 : 64;
    byte[] hwid = hardwareId(vek, n);
    if (hwid == null) {
      failures.add(new Failure(Check.CHIP_ID, "the VCEK has no hardware-id extension"));
      return;
    }
    byte[] chipId = report.chipId();
    if (report.chipIdMasked()) {
      warnings.add("the guest masked its chip id: the report cannot be tied to the VCEK's chip");
      return;
    }
    if (hwid.length != n) {
      failures.add(new Failure(Check.CHIP_ID, "the VCEK's hardware id is " + hwid.length + " bytes; expected " + n));
      return;
    }
    if (!MessageDigest.isEqual(hwid, Arrays.copyOf(chipId, n))) {
      failures.add(new Failure(Check.CHIP_ID, "the report's CHIP_ID is not the hardware id the VCEK was issued"
          + " for"));
    }
  }

  /**
   * The hardware id a VCEK was issued to, or null. Milan and Genoa VCEKs wrap its 64 bytes in a DER OCTET
   * STRING; Turin's carry the raw 8 bytes as the extension value.
   */
  static byte[] hardwareId(X509CertificateHolder vek, int expectedLength) {
    Extension ext = vek.getExtension(HARDWARE_ID);
    if (ext == null) {
      return null;
    }
    byte[] raw = ext.getExtnValue().getOctets();
    if (raw.length == expectedLength) {
      return raw; // Turin: the id itself, even when its bytes happen to look like DER
    }
    try {
      return ASN1OctetString.getInstance(ext.getParsedValue()).getOctets();
    } catch (RuntimeException e) {
      return raw;
    }
  }

  /** An extension holding a DER INTEGER (one or two content bytes in AMD's certificates), or null. */
  static Integer integerExtension(X509CertificateHolder cert, ASN1ObjectIdentifier oid) {
    Extension ext = cert.getExtension(oid);
    if (ext == null) {
      return null;
    }
    try {
      BigInteger v = ASN1Integer.getInstance(ext.getParsedValue()).getValue();
      return v.signum() < 0 || v.bitLength() > 16 ? null : v.intValue();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
