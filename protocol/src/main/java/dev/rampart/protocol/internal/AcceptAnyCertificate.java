package dev.rampart.protocol.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts any non-empty certificate chain. Safe only because trust comes from elsewhere: a caller accepts the
 * coordinator's self-signed certificate provisionally and trusts it only after attestation binds its key to
 * this session (and checks the key again before every call); the coordinator maps a client certificate's key
 * fingerprint to an enrolled principal on every call, so an unknown certificate earns nothing.
 */
public final class AcceptAnyCertificate extends X509ExtendedTrustManager {
  public static final AcceptAnyCertificate INSTANCE = new AcceptAnyCertificate();

  private AcceptAnyCertificate() {}

  private static void nonEmpty(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the peer sent no certificate");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    nonEmpty(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    nonEmpty(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    nonEmpty(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    nonEmpty(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    nonEmpty(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    nonEmpty(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
