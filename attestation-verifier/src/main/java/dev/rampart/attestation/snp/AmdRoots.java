package dev.rampart.attestation.snp;

import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.internal.Certificates;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * AMD's published certificate chains, shipped in the jar (KDS format: the intermediate, then the ARK): per
 * product, the ASK (signs VCEKs) and the ASVK (signs VLEKs), under the ARK. Each ARK is checked against the
 * fingerprint pinned in {@link SnpProduct} when the class loads: a swapped resource fails loudly.
 */
final class AmdRoots {
  record Chain(SnpProduct product, X509CertificateHolder intermediate, X509CertificateHolder ark) {}

  private static final Map<SnpProduct, X509CertificateHolder> ARKS = new EnumMap<>(SnpProduct.class);
  private static final List<Chain> CHAINS = new ArrayList<>();

  static {
    for (SnpProduct p : SnpProduct.values()) {
      for (String kind : new String[] {"vcek", "vlek"}) {
        String name = p.displayName().toLowerCase(java.util.Locale.ROOT) + "-" + kind + "-chain.pem";
        List<X509CertificateHolder> certs = load(name);
        X509CertificateHolder ark = certs.get(1);
        if (!HexFormat.of().formatHex(Certificates.sha256(ark)).equals(p.arkSha256())) {
          throw new IllegalStateException("built-in " + name + " does not hold the pinned ARK of " + p);
        }
        ARKS.put(p, ark);
        CHAINS.add(new Chain(p, certs.get(0), ark));
      }
    }
  }

  private AmdRoots() {}

  private static List<X509CertificateHolder> load(String name) {
    try (InputStream in = AmdRoots.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in AMD chain " + name);
      }
      List<X509CertificateHolder> certs = Certificates.parseBundle(in.readAllBytes(), name);
      if (certs.size() != 2) {
        throw new IllegalStateException(name + " must hold the intermediate and the ARK");
      }
      return certs;
    } catch (IOException | EvidenceFormatException e) {
      throw new IllegalStateException("unreadable built-in AMD chain " + name, e);
    }
  }

  /** The product whose pinned ARK this certificate is, or null. */
  static SnpProduct productOfArk(X509CertificateHolder candidate) {
    String fingerprint = HexFormat.of().formatHex(Certificates.sha256(candidate));
    for (SnpProduct p : SnpProduct.values()) {
      if (p.arkSha256().equals(fingerprint)) {
        return p;
      }
    }
    return null;
  }

  /** The built-in chain whose intermediate issued {@code endorsementKeyCert} (matched by name), or null. */
  static Chain chainFor(X509CertificateHolder endorsementKeyCert) {
    for (Chain c : CHAINS) {
      if (Certificates.sameName(c.intermediate().getSubject(), endorsementKeyCert.getIssuer())) {
        return c;
      }
    }
    return null;
  }
}
