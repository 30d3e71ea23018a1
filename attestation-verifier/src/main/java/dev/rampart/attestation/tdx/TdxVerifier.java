package dev.rampart.attestation.tdx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.Check;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import dev.rampart.attestation.Platform;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.attestation.internal.Certificates;
import dev.rampart.attestation.internal.ReportDataBinding;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Verifies an Intel TDX quote (v4, v5) with its collateral (the JSON format of the dcap-qvl samples:
 * {@code tcb_info}, {@code qe_identity} as raw JSON text with hex signatures, CRLs as hex DER, issuer chains
 * as PEM): the PCK chain to the pinned Intel SGX Root CA with both CRLs; the QE report's signature by the PCK
 * key and its binding to the attestation key; the quote's signature; TCB Info and QE Identity signatures over
 * their raw JSON bytes; FMSPC; TCB-level matching to a status with advisory ids; the TDX module identity; the
 * debug attribute, MRTD and the channel binding.
 */
public final class TdxVerifier {
  /** SHA-256 of the DER of the Intel SGX Root CA certificate. */
  public static final String ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
  private static final X509CertificateHolder ROOT = Certificates.loadPinned(TdxVerifier.class,
      "intel-sgx-root-ca.der", ROOT_SHA256, "Intel SGX Root CA");
  private static final String SGX_EXTENSIONS = "1.2.840.113741.1.13.1";
  /** TCB statuses from best to worst: a combined status is the worst of its parts. */
  private static final List<String> STATUS_ORDER = List.of("UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
      "ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked");
  static final String UNSUPPORTED = "Unsupported";

  private TdxVerifier() {}

  public static VerificationResult verify(byte[] quoteBytes, byte[] collateralJson, AttestationPolicy policy,
      Instant at, byte[] expectedNonce, byte[] expectedSpki) throws EvidenceFormatException {
    TdxQuote quote;
    try {
      quote = TdxQuote.parse(quoteBytes);
    } catch (IllegalArgumentException e) {
      throw new EvidenceFormatException(e.getMessage());
    }
    if (collateralJson == null) {
      throw new EvidenceFormatException("TDX evidence needs its collateral (TCB info, QE identity, CRLs): pass"
          + " it with --collateral");
    }
    Collateral collateral = Collateral.parse(collateralJson);
    List<Failure> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>(policy.warnings());
    if (!policy.platforms().contains(Platform.TDX)) {
      failures.add(new Failure(Check.PLATFORM, "the policy does not accept tdx evidence"));
    }

    // PCK chain from the quote: leaf, PCK Platform/Processor CA, root
    List<X509CertificateHolder> pck = Certificates.parseBundle(quote.pckChainPem, "the quote's PCK chain");
    if (pck.size() != 3) {
      throw new EvidenceFormatException("the PCK chain must hold the PCK, its CA and the root; found " + pck.size());
    }
    X509CertificateHolder leaf = pck.get(0);
    X509CertificateHolder pckCa = pck.get(1);
    checkChain(List.of(pck.get(2), pckCa, leaf), "PCK", at, failures);

    // CRLs: the root's (revokes CAs) and the PCK CA's (revokes PCK certificates)
    X509CRLHolder rootCrl = crl(collateral.rootCaCrl, "root_ca_crl");
    X509CRLHolder pckCrl = crl(collateral.pckCrl, "pck_crl");
    checkCrl(rootCrl, ROOT, "the root CA CRL", at, failures);
    checkCrl(pckCrl, pckCa, "the PCK CRL", at, failures);
    if (revoked(rootCrl, pckCa, "root_ca_crl")) {
      failures.add(new Failure(Check.CHAIN, "the PCK CA certificate is revoked"));
    }
    if (revoked(pckCrl, leaf, "pck_crl")) {
      failures.add(new Failure(Check.CHAIN, "the PCK certificate is revoked"));
    }

    // the QE report: signed by the PCK key, and vouching for the attestation key
    if (!ecdsaP256(Certificates.publicKey(leaf), quote.qeReport, quote.qeReportSignature)) {
      failures.add(new Failure(Check.SIGNATURE, "the QE report is not signed by the PCK key"));
    }
    byte[] expectedQeData = new byte[64];
    System.arraycopy(sha256(quote.attestationKey, quote.qeAuthData), 0, expectedQeData, 0, 32);
    if (!MessageDigest.isEqual(quote.qeReportData(), expectedQeData)) {
      failures.add(new Failure(Check.SIGNATURE, "the QE report does not bind the attestation key"
          + " (report data != SHA-256(attestation key ‖ QE auth data))"));
    }
    PublicKey attestationKey = p256Key(quote.attestationKey);
    if (attestationKey == null || !ecdsaP256(attestationKey, quote.signedBytes, quote.signature)) {
      failures.add(new Failure(Check.SIGNATURE, "the quote's signature does not verify with its attestation key"));
    }

    // TCB info and QE identity, signed over their raw JSON text by the TCB signing certificate
    JsonNode tcbInfo = signedJson(collateral.tcbInfo, collateral.tcbInfoSignature, collateral.tcbInfoIssuerChain,
        rootCrl, "TCB info", at, failures);
    JsonNode qeIdentity = signedJson(collateral.qeIdentity, collateral.qeIdentitySignature,
        collateral.qeIdentityIssuerChain, rootCrl, "QE identity", at, failures);

    PckTcb pckTcb = PckTcb.of(leaf);
    String status = UNSUPPORTED;
    List<String> advisories = new ArrayList<>();
    if (pckTcb == null) {
      failures.add(new Failure(Check.TCB, "the PCK certificate has no readable SGX extensions (FMSPC, TCB)"));
    } else {
      String fmspc = text(tcbInfo, "fmspc");
      if (!pckTcb.fmspc.equalsIgnoreCase(fmspc)) {
        failures.add(new Failure(Check.TCB, "the TCB info is for FMSPC " + fmspc + ", the platform is "
            + pckTcb.fmspc));
      }
      if (pckTcb.pceId != null && !pckTcb.pceId.equalsIgnoreCase(tcbInfo.path("pceId").asText())) {
        failures.add(new Failure(Check.TCB, "the TCB info is for PCE " + tcbInfo.path("pceId").asText()
            + ", the platform's is " + pckTcb.pceId));
      }
      if (!"TDX".equals(text(tcbInfo, "id"))) {
        failures.add(new Failure(Check.TCB, "the TCB info is not for TDX (id " + text(tcbInfo, "id") + ")"));
      }
      status = platformStatus(tcbInfo, pckTcb, quote.teeTcbSvn(), advisories);
      status = worse(status, moduleStatus(tcbInfo, quote, failures));
    }
    status = worse(status, qeStatus(qeIdentity, quote, failures));
    if (!policy.acceptedTcbStatuses().contains(status)) {
      failures.add(new Failure(Check.TCB, "TCB status " + status
          + (advisories.isEmpty() ? "" : " (advisories " + String.join(", ", advisories) + ")")
          + " is not one the policy accepts " + policy.acceptedTcbStatuses()));
    } else if (!advisories.isEmpty()) {
      warnings.add("TCB advisories: " + String.join(", ", advisories));
    }

    if ((quote.tdAttributes() & 1) != 0 && !policy.allowDebug()) {
      failures.add(new Failure(Check.DEBUG, "the TD's DEBUG attribute is set: the host can read its memory"));
    }
    byte[] measurement = quote.launchMeasurement();
    if (!policy.acceptsMeasurement(measurement)) {
      failures.add(new Failure(Check.MEASUREMENT, "launch measurement " + HexFormat.of().formatHex(measurement)
          + " (SHA-384 of MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3; MRTD "
          + HexFormat.of().formatHex(quote.mrTd()) + ") is not one of the policy's"));
    }
    ReportDataBinding.check(quote.reportData(), expectedNonce, expectedSpki, failures);
    return new VerificationResult(Platform.TDX, false, measurement, quote.reportData(), status, failures, warnings);
  }

  private static void checkChain(List<X509CertificateHolder> rootFirst, String what, Instant at,
      List<Failure> failures) {
    if (!MessageDigest.isEqual(Certificates.sha256(rootFirst.get(0)), Certificates.sha256(ROOT))) {
      failures.add(new Failure(Check.CHAIN, "the " + what + " chain's root is not the pinned Intel SGX Root CA"));
      return;
    }
    for (int k = 1; k < rootFirst.size(); k++) {
      if (!Certificates.isSignedBy(rootFirst.get(k), rootFirst.get(k - 1))) {
        failures.add(new Failure(Check.CHAIN, Certificates.name(rootFirst.get(k).getSubject()) + " is not signed by "
            + Certificates.name(rootFirst.get(k - 1).getSubject())));
      }
    }
    for (X509CertificateHolder c : rootFirst) {
      if (!Certificates.isValidAt(c, at)) {
        failures.add(new Failure(Check.VALIDITY, "at " + at + " the certificate " + Certificates.window(c)
            + " is not valid"));
      }
    }
  }

  private static X509CRLHolder crl(byte[] der, String name) throws EvidenceFormatException {
    try {
      return new X509CRLHolder(der);
    } catch (IOException | RuntimeException e) {
      throw new EvidenceFormatException("the collateral's " + name + " is not a DER CRL");
    }
  }

  /** Bouncy Castle reads CRL entries lazily: a malformed entry surfaces here, and fails closed. */
  private static boolean revoked(X509CRLHolder crl, X509CertificateHolder cert, String name)
      throws EvidenceFormatException {
    try {
      return crl.getRevokedCertificate(cert.getSerialNumber()) != null;
    } catch (RuntimeException e) {
      throw new EvidenceFormatException("the collateral's " + name + " has a malformed entry");
    }
  }

  private static void checkCrl(X509CRLHolder crl, X509CertificateHolder issuer, String what, Instant at,
      List<Failure> failures) {
    try {
      if (!crl.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Certificates.BC)
          .build(Certificates.publicKey(issuer)))) {
        failures.add(new Failure(Check.CHAIN, what + " is not signed by its issuer"));
      }
    } catch (Exception e) {
      failures.add(new Failure(Check.CHAIN, what + " cannot be checked against its issuer"));
    }
    Date now = Date.from(at);
    if (crl.getThisUpdate().after(now) || crl.getNextUpdate() == null || crl.getNextUpdate().before(now)) {
      failures.add(new Failure(Check.VALIDITY, "at " + at + " " + what + " (" + crl.getThisUpdate().toInstant()
          + " to " + (crl.getNextUpdate() == null ? "?" : crl.getNextUpdate().toInstant()) + ") is not current"));
    }
  }

  /** Verifies a signed collateral document and parses it; a failure is recorded, the JSON still returned. */
  private static JsonNode signedJson(String raw, byte[] signature, byte[] issuerChainPem, X509CRLHolder rootCrl,
      String what, Instant at, List<Failure> failures) throws EvidenceFormatException {
    List<X509CertificateHolder> chain = Certificates.parseBundle(issuerChainPem, what + " issuer chain");
    if (chain.size() != 2) {
      throw new EvidenceFormatException(what + " issuer chain must hold the signing certificate and the root");
    }
    X509CertificateHolder signer = chain.get(0);
    checkChain(List.of(chain.get(1), signer), what + " signing", at, failures);
    if (!Certificates.name(signer.getSubject()).contains("CN=Intel SGX TCB Signing")) {
      failures.add(new Failure(Check.CHAIN, "the " + what + " is signed by " + Certificates.name(signer.getSubject())
          + ", not by the Intel SGX TCB Signing certificate"));
    }
    if (revoked(rootCrl, signer, "root_ca_crl")) {
      failures.add(new Failure(Check.CHAIN, "the " + what + " signing certificate is revoked"));
    }
    if (!ecdsaP256(Certificates.publicKey(signer), raw.getBytes(StandardCharsets.UTF_8), signature)) {
      failures.add(new Failure(Check.SIGNATURE, "the " + what + " signature does not verify over its JSON text"));
    }
    JsonNode json;
    try {
      json = new ObjectMapper().readTree(raw);
    } catch (IOException e) {
      throw new EvidenceFormatException(what + " is not valid JSON");
    }
    if (json == null || !json.isObject()) {
      throw new EvidenceFormatException(what + " is not a JSON object");
    }
    try {
      Instant issued = Instant.parse(text(json, "issueDate"));
      Instant next = Instant.parse(text(json, "nextUpdate"));
      if (at.isBefore(issued) || at.isAfter(next)) {
        failures.add(new Failure(Check.VALIDITY, "at " + at + " the " + what + " (issued " + issued + ", next update "
            + next + ") is not current"));
      }
    } catch (DateTimeParseException e) {
      throw new EvidenceFormatException(what + " has unreadable issueDate/nextUpdate");
    }
    return json;
  }

  /** Intel QVL's TcbLevelCheck: the first level whose SGX and TDX components the platform meets or exceeds. */
  static String platformStatus(JsonNode tcbInfo, PckTcb pck, byte[] teeTcbSvn, List<String> advisories)
      throws EvidenceFormatException {
    JsonNode levels = tcbInfo.get("tcbLevels");
    if (levels == null || !levels.isArray()) {
      throw new EvidenceFormatException("the TCB info has no tcbLevels");
    }
    for (JsonNode level : levels) {
      JsonNode tcb = level.get("tcb");
      if (tcb == null) {
        throw new EvidenceFormatException("a TCB level has no tcb");
      }
      int[] sgx = svns(tcb.get("sgxtcbcomponents"));
      int[] tdx = svns(tcb.get("tdxtcbcomponents"));
      boolean sgxOk = tcb.path("pcesvn").asInt(Integer.MAX_VALUE) <= pck.pceSvn;
      for (int i = 0; i < 16 && sgxOk; i++) {
        sgxOk = (pck.componentSvns[i]) >= sgx[i];
      }
      if (!sgxOk) {
        continue;
      }
      String status = text(level, "tcbStatus");
      if ("Revoked".equals(status)) {
        return status;
      }
      boolean tdxOk = true;
      for (int i = 0; i < 16 && tdxOk; i++) {
        tdxOk = (teeTcbSvn[i] & 0xFF) >= tdx[i];
      }
      if (tdxOk) {
        for (JsonNode a : level.path("advisoryIDs")) {
          advisories.add(a.asText());
        }
        return status;
      }
    }
    return UNSUPPORTED;
  }

  /** Intel QVL's TdxModuleCheck: the module's identity (by major version) and its signer. */
  private static String moduleStatus(JsonNode tcbInfo, TdxQuote quote, List<Failure> failures) {
    byte[] svn = quote.teeTcbSvn();
    int isvSvn = svn[0] & 0xFF;
    int version = svn[1] & 0xFF;
    JsonNode identity = null;
    if (version == 0) {
      identity = tcbInfo.get("tdxModule");
    } else {
      String id = String.format(Locale.ROOT, "TDX_%02X", version);
      for (JsonNode candidate : tcbInfo.path("tdxModuleIdentities")) {
        if (id.equalsIgnoreCase(candidate.path("id").asText())) {
          identity = candidate;
        }
      }
    }
    if (identity == null) {
      failures.add(new Failure(Check.TCB, "the TCB info knows no TDX module of version " + version));
      return UNSUPPORTED;
    }
    if (!MessageDigest.isEqual(hex(identity.path("mrsigner").asText()), quote.mrSignerSeam())) {
      failures.add(new Failure(Check.TCB, "the TDX module is not signed by the expected signer (MRSIGNERSEAM)"));
    }
    byte[] attributes = hex(identity.path("attributes").asText());
    byte[] mask = hex(identity.path("attributesMask").asText());
    byte[] seam = quote.seamAttributes();
    if (attributes.length != 8 || mask.length != 8) {
      failures.add(new Failure(Check.TCB, "the TDX module identity's attributes are not 8 hex bytes"));
      return UNSUPPORTED;
    }
    for (int i = 0; i < 8; i++) {
      if ((seam[i] & mask[i]) != (attributes[i] & mask[i])) {
        failures.add(new Failure(Check.TCB, "the TDX module's SEAM attributes do not match its identity"));
        break;
      }
    }
    if (version == 0) {
      return "UpToDate";
    }
    for (JsonNode level : identity.path("tcbLevels")) {
      if (isvSvn >= level.path("tcb").path("isvsvn").asInt(Integer.MAX_VALUE)) {
        return level.path("tcbStatus").asText(UNSUPPORTED);
      }
    }
    return UNSUPPORTED;
  }

  /** The QE's identity: signer, product, masked attributes and misc-select, then its TCB level by ISVSVN. */
  private static String qeStatus(JsonNode qeIdentity, TdxQuote quote, List<Failure> failures) {
    if (!"TD_QE".equals(qeIdentity.path("id").asText())) {
      failures.add(new Failure(Check.TCB, "the QE identity is not the TDX quoting enclave's (TD_QE)"));
    }
    if (!MessageDigest.isEqual(hex(qeIdentity.path("mrsigner").asText()), quote.qeMrSigner())) {
      failures.add(new Failure(Check.TCB, "the quoting enclave is not signed by Intel's QE signer"));
    }
    if (qeIdentity.path("isvprodid").asInt(-1) != quote.qeIsvProdId()) {
      failures.add(new Failure(Check.TCB, "the quoting enclave's product id is not the expected one"));
    }
    byte[] miscBytes = hex(qeIdentity.path("miscselect").asText());
    byte[] miscMaskBytes = hex(qeIdentity.path("miscselectMask").asText());
    if (miscBytes.length != 4 || miscMaskBytes.length != 4) {
      failures.add(new Failure(Check.TCB, "the QE identity's miscselect fields are not 4 hex bytes"));
      return UNSUPPORTED;
    }
    long misc = new BigInteger(1, miscBytes).longValue();
    long miscMask = new BigInteger(1, miscMaskBytes).longValue();
    byte[] attributes = hex(qeIdentity.path("attributes").asText());
    byte[] attributesMask = hex(qeIdentity.path("attributesMask").asText());
    byte[] qeAttributes = quote.qeAttributes();
    boolean attributesOk = attributes.length == 16 && attributesMask.length == 16;
    for (int i = 0; i < 16 && attributesOk; i++) {
      attributesOk = (qeAttributes[i] & attributesMask[i]) == (attributes[i] & attributesMask[i]);
    }
    if (((quote.qeMiscSelect() & 0xFFFFFFFFL) & miscMask) != (misc & miscMask) || !attributesOk) {
      failures.add(new Failure(Check.TCB, "the quoting enclave's attributes do not match its identity"));
    }
    for (JsonNode level : qeIdentity.path("tcbLevels")) {
      if (quote.qeIsvSvn() >= level.path("tcb").path("isvsvn").asInt(Integer.MAX_VALUE)) {
        return level.path("tcbStatus").asText(UNSUPPORTED);
      }
    }
    return UNSUPPORTED;
  }

  static String worse(String a, String b) {
    int ia = STATUS_ORDER.indexOf(a);
    int ib = STATUS_ORDER.indexOf(b);
    if (ia < 0) {
      return a; // Unsupported or unknown: nothing is worse
    }
    if (ib < 0) {
      return b;
    }
    return ia >= ib ? a : b;
  }

  private static int[] svns(JsonNode components) throws EvidenceFormatException {
    if (components == null || !components.isArray() || components.size() != 16) {
      throw new EvidenceFormatException("a TCB level must list 16 components");
    }
    int[] out = new int[16];
    for (int i = 0; i < 16; i++) {
      out[i] = components.get(i).path("svn").asInt(Integer.MAX_VALUE);
    }
    return out;
  }

  private static String text(JsonNode n, String key) throws EvidenceFormatException {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual()) {
      throw new EvidenceFormatException("collateral field '" + key + "' is missing or not text");
    }
    return v.asText();
  }

  private static byte[] hex(String s) {
    try {
      return HexFormat.of().parseHex(s);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  private static byte[] sha256(byte[]... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        d.update(p);
      }
      return d.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** ECDSA P-256 / SHA-256 with a raw r ‖ s signature (32 + 32 bytes, big-endian), as DCAP encodes them. */
  static boolean ecdsaP256(PublicKey key, byte[] data, byte[] rawSignature) {
    return rawSignature.length == 64 && Certificates.verifyRawEcdsa("SHA256withECDSA", key, data, rawSignature);
  }

  /** The quote's attestation key, x ‖ y on P-256; null if not a point on the curve. */
  private static PublicKey p256Key(byte[] xy) {
    try {
      ECParameterSpec p256 = ((java.security.interfaces.ECPublicKey) Certificates.publicKey(ROOT)).getParams();
      ECPoint point = new ECPoint(new BigInteger(1, Arrays.copyOfRange(xy, 0, 32)),
          new BigInteger(1, Arrays.copyOfRange(xy, 32, 64)));
      return KeyFactory.getInstance("EC", Certificates.BC).generatePublic(new ECPublicKeySpec(point, p256));
    } catch (GeneralSecurityException | EvidenceFormatException | RuntimeException e) {
      return null;
    }
  }

  /** The SGX extensions of a PCK certificate: FMSPC, 16 component SVNs and PCESVN. */
  static final class PckTcb {
    final String fmspc;
    String pceId;
    final int[] componentSvns = new int[16];
    int pceSvn = -1;

    private PckTcb(String fmspc) {
      this.fmspc = fmspc;
    }

    static PckTcb of(X509CertificateHolder pck) {
      Extension ext = pck.getExtension(new ASN1ObjectIdentifier(SGX_EXTENSIONS));
      if (ext == null) {
        return null;
      }
      try {
        ASN1Sequence all = ASN1Sequence.getInstance(ext.getParsedValue());
        String fmspc = null;
        String pceId = null;
        ASN1Sequence tcb = null;
        for (ASN1Encodable e : all) {
          ASN1Sequence pair = ASN1Sequence.getInstance(e);
          String oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0)).getId();
          if (oid.equals(SGX_EXTENSIONS + ".4")) {
            fmspc = HexFormat.of().formatHex(ASN1OctetString.getInstance(pair.getObjectAt(1)).getOctets());
          } else if (oid.equals(SGX_EXTENSIONS + ".3")) {
            pceId = HexFormat.of().formatHex(ASN1OctetString.getInstance(pair.getObjectAt(1)).getOctets());
          } else if (oid.equals(SGX_EXTENSIONS + ".2")) {
            tcb = ASN1Sequence.getInstance(pair.getObjectAt(1));
          }
        }
        if (fmspc == null || tcb == null) {
          return null;
        }
        PckTcb out = new PckTcb(fmspc);
        out.pceId = pceId;
        Arrays.fill(out.componentSvns, -1);
        for (ASN1Encodable e : tcb) {
          ASN1Sequence pair = ASN1Sequence.getInstance(e);
          String oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0)).getId();
          String prefix = SGX_EXTENSIONS + ".2.";
          if (!oid.startsWith(prefix)) {
            continue;
          }
          int index = Integer.parseInt(oid.substring(prefix.length()));
          if (index >= 1 && index <= 16) {
            out.componentSvns[index - 1] = ASN1Integer.getInstance(pair.getObjectAt(1)).intValueExact();
          } else if (index == 17) {
            out.pceSvn = ASN1Integer.getInstance(pair.getObjectAt(1)).intValueExact();
          }
        }
        for (int s : out.componentSvns) {
          if (s < 0) {
            return null;
          }
        }
        return out.pceSvn < 0 ? null : out;
      } catch (RuntimeException e) {
        return null;
      }
    }
  }

  /** The collateral JSON (dcap-qvl's QuoteCollateralV3 field names). */
  private record Collateral(String tcbInfo, byte[] tcbInfoSignature, byte[] tcbInfoIssuerChain, String qeIdentity,
      byte[] qeIdentitySignature, byte[] qeIdentityIssuerChain, byte[] rootCaCrl, byte[] pckCrl) {
    static Collateral parse(byte[] json) throws EvidenceFormatException {
      JsonNode n;
      try {
        n = new ObjectMapper().readTree(json);
      } catch (IOException e) {
        throw new EvidenceFormatException("the collateral is not valid JSON");
      }
      if (n == null || !n.isObject()) {
        throw new EvidenceFormatException("the collateral must be a JSON object");
      }
      return new Collateral(text(n, "tcb_info"), hexField(n, "tcb_info_signature"),
          text(n, "tcb_info_issuer_chain").getBytes(StandardCharsets.US_ASCII), text(n, "qe_identity"),
          hexField(n, "qe_identity_signature"),
          text(n, "qe_identity_issuer_chain").getBytes(StandardCharsets.US_ASCII), hexField(n, "root_ca_crl"),
          hexField(n, "pck_crl"));
    }

    private static byte[] hexField(JsonNode n, String key) throws EvidenceFormatException {
      try {
        return HexFormat.of().parseHex(text(n, key));
      } catch (IllegalArgumentException e) {
        throw new EvidenceFormatException("collateral field '" + key + "' is not hex");
      }
    }
  }
}
