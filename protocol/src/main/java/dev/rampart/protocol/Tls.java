package dev.rampart.protocol;

import dev.rampart.protocol.internal.AcceptAnyCertificate;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The one TLS configuration of Rampart: TLS 1.3 only, HTTP/2 by ALPN, client certificates. */
public final class Tls {
  public static final Set<String> PROTOCOLS = Set.of("TLSv1.3");
  /** HTTP/2 flow-control windows: room for several 1 MiB chunks in flight. */
  public static final int STREAM_WINDOW = 4 << 20;
  public static final int CONNECTION_WINDOW = 32 << 20;

  private Tls() {}

  /** A caller's options: any server certificate is accepted provisionally (attestation decides trust). */
  public static HttpClientOptions clientOptions(KeyIdentity identity, Duration connectTimeout, Duration idleTimeout) {
    HttpClientOptions o = new HttpClientOptions()
        .setSsl(true)
        .setUseAlpn(true)
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2))
        .setHttp2ClearTextUpgrade(false)
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setVerifyHost(false)
        .setTrustOptions(TrustOptions.wrap(AcceptAnyCertificate.INSTANCE))
        .setConnectTimeout((int) connectTimeout.toMillis())
        .setIdleTimeout((int) idleTimeout.toSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        // HTTP/2's default 64 KiB windows would stall 1 MiB upload chunks on window updates
        .setInitialSettings(new Http2Settings().setInitialWindowSize(STREAM_WINDOW))
        .setHttp2ConnectionWindowSize(CONNECTION_WINDOW);
    if (identity != null) {
      o.setKeyCertOptions(new PemKeyCertOptions()
          .setKeyValue(Buffer.buffer(identity.privateKeyPem()))
          .setCertValue(Buffer.buffer(identity.certificatePem())));
    }
    return o;
  }

  /** The coordinator's options: its TLS key, client certificates requested. */
  public static HttpServerOptions serverOptions(KeyIdentity tlsKey, Duration idleTimeout) {
    return serverOptions(tlsKey.privateKeyPem(), tlsKey.certificatePem(), idleTimeout);
  }

  private static HttpServerOptions serverOptions(String keyPem, String certPem, Duration idleTimeout) {
    return new HttpServerOptions()
        .setSsl(true)
        .setUseAlpn(true)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2))
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setKeyValue(Buffer.buffer(keyPem))
            .setCertValue(Buffer.buffer(certPem)))
        // REQUEST, not REQUIRED: an auditor may attest without an identity; every other call needs one
        .setClientAuth(ClientAuth.REQUEST)
        .setTrustOptions(TrustOptions.wrap(AcceptAnyCertificate.INSTANCE))
        .setIdleTimeout((int) idleTimeout.toSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setHttp2ConnectionWindowSize(CONNECTION_WINDOW);
  }
}
