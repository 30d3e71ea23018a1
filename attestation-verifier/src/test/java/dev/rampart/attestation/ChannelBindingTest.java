package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class ChannelBindingTest {
  @Test
  void reportData_isTheSpecifiedSha512() throws Exception {
    byte[] nonce = new byte[32];
    for (int i = 0; i < 32; i++) {
      nonce[i] = (byte) i;
    }
    byte[] spki = TestVectors.read("nitro/derived/non-debug-cert-containing-attestation-document-18-1-23.cose.tls_spki.der");
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write("rampart-attest/v1".getBytes(StandardCharsets.US_ASCII));
    expected.write(0);
    expected.write(nonce);
    expected.write(MessageDigest.getInstance("SHA-256").digest(spki));
    byte[] want = MessageDigest.getInstance("SHA-512").digest(expected.toByteArray());
    assertThat(ChannelBinding.reportData(nonce, spki)).hasSize(64).isEqualTo(want);
    assertThat(ChannelBinding.matches(want, nonce, spki)).isTrue();
    nonce[0] ^= 1;
    assertThat(ChannelBinding.matches(want, nonce, spki)).isFalse();
  }

  @Test
  void peerSpki_isTheKeyOfThisTlsSession_andBindsWithTheNonce() throws Exception {
    // a real TLS 1.3 handshake on loopback, port 0: the server's certificate key is what the client sees
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair key = g.generateKeyPair();
    X500Name name = new X500Name("CN=coordinator");
    Instant now = Instant.now();
    X509CertificateHolder holder = new JcaX509v3CertificateBuilder(
        name, BigInteger.ONE, Date.from(now.minusSeconds(60)),
        Date.from(now.plusSeconds(3600)), name, key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
    X509Certificate cert = new JcaX509CertificateConverter()
        .getCertificate(holder);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("tls", key.getPrivate(), new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    SSLContext server = SSLContext.getInstance("TLSv1.3");
    server.init(kmf.getKeyManagers(), null, null);
    // the client accepts the certificate provisionally, as the attested channel does before attestation
    TrustManager acceptAll = new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] c, String a) {}
      public void checkServerTrusted(X509Certificate[] c, String a) {}
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext client = SSLContext.getInstance("TLSv1.3");
    client.init(null, new TrustManager[] {acceptAll}, null);
    try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
        try (Socket s = listener.accept()) {
          ((SSLSocket) s).startHandshake();
          s.getOutputStream().write(1);
          s.getInputStream().read();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      try (SSLSocket socket = (SSLSocket) client.getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        socket.startHandshake();
        socket.getInputStream().read();
        byte[] spki = ChannelBinding.peerSpki(socket.getSession());
        assertThat(spki).isEqualTo(key.getPublic().getEncoded());
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        byte[] reportData = ChannelBinding.reportData(nonce, key.getPublic().getEncoded()); // what the attester sends
        assertThat(ChannelBinding.matches(reportData, nonce, spki)).isTrue();
        socket.getOutputStream().write(1);
      }
      accepted.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void badInputs_areRefused() {
    assertThatThrownBy(() -> ChannelBinding.reportData(new byte[31], new byte[10])).hasMessageContaining("nonce");
    assertThatThrownBy(() -> ChannelBinding.reportData(new byte[32], new byte[0])).hasMessageContaining("key");
  }
}
