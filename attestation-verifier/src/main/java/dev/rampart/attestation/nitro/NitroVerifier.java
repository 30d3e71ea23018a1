package dev.rampart.attestation.nitro;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Check;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import dev.rampart.attestation.Platform;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.attestation.internal.Certificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Verifies an AWS Nitro Enclaves attestation document: a COSE_Sign1 (RFC 9052; tagged or not) signed with
 * ES384 by a leaf certificate whose chain ({@code cabundle}) starts at the pinned AWS Nitro Enclaves Root-G1;
 * PCR0 is the measurement, all-zero PCR0-2 mean a debug enclave; {@code nonce}, {@code public_key} and
 * {@code user_data} carry the channel binding (CBOR null means absent); the timestamp is in milliseconds.
 */
public final class NitroVerifier {
  /** SHA-256 of the DER of AWS_NitroEnclaves_Root-G1 (docs.aws.amazon.com/enclaves/latest/user/verify-root.html). */
  public static final String ROOT_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";
  private static final int ES384 = -35;
  /** Clock skew tolerated for a document stamped slightly after the verification time. */
  private static final Duration FUTURE_SKEW = Duration.ofMinutes(1);

  private static final X509CertificateHolder ROOT = Certificates.loadPinned(NitroVerifier.class,
      "aws-nitro-enclaves-root-g1.pem", ROOT_SHA256, "AWS Nitro Enclaves Root-G1");
  private static final ObjectMapper CBOR;

  static {
    CBORFactory factory = CBORFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(64 * 1024)
            .maxDocumentLength(512 * 1024).build())
        .build();
    CBOR = new ObjectMapper(factory);
  }

  private NitroVerifier() {}

  /**
   * @throws EvidenceFormatException if the bytes are not a COSE_Sign1 with a CBOR map payload
   */
  public static VerificationResult verify(byte[] document, AttestationPolicy policy, Instant at,
      byte[] expectedNonce, byte[] expectedSpki) throws EvidenceFormatException {
    JsonNode cose = readCbor(document, "the COSE_Sign1 document");
    if (!cose.isArray() || cose.size() != 4 || !cose.get(0).isBinary() || !cose.get(2).isBinary()
        || !cose.get(3).isBinary()) {
      throw new EvidenceFormatException("not a COSE_Sign1: expected [protected, unprotected, payload, signature]");
    }
    byte[] protectedHeader = binary(cose.get(0));
    byte[] payload = binary(cose.get(2));
    byte[] signature = binary(cose.get(3));
    JsonNode header = readCbor(protectedHeader, "the COSE protected header");
    JsonNode doc = readCbor(payload, "the attestation document");
    if (!doc.isObject()) {
      throw new EvidenceFormatException("the attestation document is not a CBOR map");
    }
    List<Failure> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>(policy.warnings());
    if (!policy.platforms().contains(Platform.NITRO)) {
      failures.add(new Failure(Check.PLATFORM, "the policy does not accept nitro evidence"));
    }
    JsonNode alg = header.isObject() ? header.get("1") : null;
    if (alg == null || !alg.canConvertToInt() || alg.asInt() != ES384) {
      failures.add(new Failure(Check.SIGNATURE, "the protected header does not say ES384 (alg -35)"));
    }

    // the chain: cabundle[0] is the root, then intermediates, then the leaf in "certificate"
    byte[] leafDer = optionalBinary(doc, "certificate");
    X509CertificateHolder leaf = leafDer == null ? null : Certificates.parseOne(leafDer, "the leaf certificate");
    List<X509CertificateHolder> bundle = new ArrayList<>();
    JsonNode cabundle = doc.get("cabundle");
    if (cabundle != null && cabundle.isArray()) {
      if (cabundle.size() > 16) {
        throw new EvidenceFormatException("cabundle holds " + cabundle.size() + " certificates");
      }
      for (JsonNode c : cabundle) {
        if (!c.isBinary()) {
          throw new EvidenceFormatException("cabundle holds something that is not a certificate");
        }
        bundle.add(Certificates.parseOne(binary(c), "a cabundle certificate"));
      }
    }
    if (leaf == null) {
      failures.add(new Failure(Check.CHAIN, "the document has no signing certificate"));
    } else if (bundle.isEmpty()) {
      failures.add(new Failure(Check.CHAIN, "the document has no cabundle: its signer is not vouched for by AWS"));
    } else if (!MessageDigest.isEqual(Certificates.sha256(bundle.get(0)), Certificates.sha256(ROOT))) {
      failures.add(new Failure(Check.CHAIN, "cabundle[0] is not the pinned AWS Nitro Enclaves Root-G1"));
    } else {
      List<X509CertificateHolder> chain = new ArrayList<>(bundle);
      chain.add(leaf);
      for (int k = 1; k < chain.size(); k++) {
        if (!Certificates.isSignedBy(chain.get(k), chain.get(k - 1))) {
          failures.add(new Failure(Check.CHAIN, Certificates.name(chain.get(k).getSubject()) + " is not signed by "
              + Certificates.name(chain.get(k - 1).getSubject())));
        }
      }
      for (X509CertificateHolder c : chain) {
        if (!Certificates.isValidAt(c, at)) {
          failures.add(new Failure(Check.VALIDITY, "at " + at + " the certificate " + Certificates.window(c)
              + " is not valid"));
        }
      }
    }
    if (leaf != null && !signatureValid(protectedHeader, payload, signature, leaf)) {
      failures.add(new Failure(Check.SIGNATURE, "the COSE_Sign1 ES384 signature does not verify with the leaf key"));
    }

    // measurements: PCR0 is the enclave image; PCR0-2 all zero is a debug enclave
    JsonNode pcrs = doc.get("pcrs");
    byte[] pcr0 = pcrs == null ? null : optionalBinary(pcrs, "0");
    if (pcr0 == null) {
      failures.add(new Failure(Check.MEASUREMENT, "the document has no PCR0"));
      pcr0 = new byte[0];
    } else {
      boolean debug = allZero(pcr0) && allZero(optionalBinary(pcrs, "1")) && allZero(optionalBinary(pcrs, "2"));
      if (debug && !policy.allowDebug()) {
        failures.add(new Failure(Check.DEBUG, "PCR0, PCR1 and PCR2 are all zero: a debug-mode enclave, whose"
            + " memory the parent instance can read"));
      }
      if (!policy.acceptsMeasurement(pcr0)) {
        failures.add(new Failure(Check.MEASUREMENT, "PCR0 " + HexFormat.of().formatHex(pcr0)
            + " is not one of the policy's"));
      }
    }

    JsonNode timestamp = doc.get("timestamp");
    if (timestamp == null || !timestamp.canConvertToLong()) {
      failures.add(new Failure(Check.FRESHNESS, "the document has no timestamp"));
    } else {
      Instant stamped = Instant.ofEpochMilli(timestamp.asLong());
      if (stamped.isAfter(at.plus(FUTURE_SKEW))) {
        failures.add(new Failure(Check.FRESHNESS, "the document is stamped " + stamped + ", after the verification"
            + " time " + at));
      } else if (Duration.between(stamped, at).getSeconds() > policy.maxEvidenceAgeSeconds()) {
        failures.add(new Failure(Check.FRESHNESS, "the document is from " + stamped + ", older than the policy's "
            + policy.maxEvidenceAgeSeconds() + " s at " + at));
      }
    }

    byte[] userData = optionalBinary(doc, "user_data");
    byte[] nonce = optionalBinary(doc, "nonce");
    byte[] publicKey = optionalBinary(doc, "public_key");
    if (expectedNonce != null || expectedSpki != null) {
      if (expectedNonce != null && (nonce == null || !MessageDigest.isEqual(nonce, expectedNonce))) {
        failures.add(new Failure(Check.BINDING, "the document's nonce is not the one sent: a replayed document"));
      }
      if (expectedSpki != null && (publicKey == null || !MessageDigest.isEqual(publicKey, expectedSpki))) {
        failures.add(new Failure(Check.BINDING, "the document's public_key is not this session's TLS key"));
      }
      if (expectedNonce != null && expectedSpki != null && (userData == null
          || !ChannelBinding.matches(userData, expectedNonce, expectedSpki))) {
        failures.add(new Failure(Check.BINDING, "the document's user_data does not bind this nonce and TLS key"));
      }
    }
    return new VerificationResult(Platform.NITRO, false, pcr0, userData == null ? new byte[0] : userData, null,
        failures, warnings);
  }

  private static JsonNode readCbor(byte[] bytes, String what) throws EvidenceFormatException {
    try {
      JsonNode n = CBOR.readTree(bytes);
      if (n == null || n.isMissingNode()) {
        throw new EvidenceFormatException(what + " is empty");
      }
      return n;
    } catch (IOException | RuntimeException e) {
      throw new EvidenceFormatException(what + " is not valid CBOR");
    }
  }

  private static byte[] binary(JsonNode n) throws EvidenceFormatException {
    try {
      return n.binaryValue();
    } catch (IOException e) {
      throw new EvidenceFormatException("expected a CBOR byte string");
    }
  }

  /** A byte-string field; null when absent or CBOR null (AWS documents carry null for unset fields). */
  private static byte[] optionalBinary(JsonNode map, String key) throws EvidenceFormatException {
    JsonNode n = map.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isBinary()) {
      throw new EvidenceFormatException("the document's " + key + " is not a byte string");
    }
    return binary(n);
  }

  private static boolean allZero(byte[] b) {
    if (b == null) {
      return true;
    }
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** RFC 9052 section 4.4: Sig_structure = ["Signature1", protected, external_aad = h'', payload]. */
  static byte[] sigStructure(byte[] protectedHeader, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + protectedHeader.length + 32);
    out.write(0x84);
    byte[] context = "Signature1".getBytes(StandardCharsets.US_ASCII);
    head(out, 3, context.length);
    out.writeBytes(context);
    head(out, 2, protectedHeader.length);
    out.writeBytes(protectedHeader);
    head(out, 2, 0);
    head(out, 2, payload.length);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /** A CBOR head: major type and length, shortest form. */
  private static void head(ByteArrayOutputStream out, int major, long length) {
    int m = major << 5;
    if (length < 24) {
      out.write(m | (int) length);
    } else if (length < 0x100) {
      out.write(m | 24);
      out.write((int) length);
    } else if (length < 0x10000) {
      out.write(m | 25);
      out.write((int) (length >>> 8));
      out.write((int) length & 0xFF);
    } else {
      out.write(m | 26);
      for (int shift = 24; shift >= 0; shift -= 8) {
        out.write((int) (length >>> shift) & 0xFF);
      }
    }
  }

  private static boolean signatureValid(byte[] protectedHeader, byte[] payload, byte[] signature,
      X509CertificateHolder leaf) {
    try {
      return signature.length == 96 && Certificates.verifyRawEcdsa("SHA384withECDSA", Certificates.publicKey(leaf),
          sigStructure(protectedHeader, payload), signature);
    } catch (EvidenceFormatException e) {
      return false;
    }
  }
}
