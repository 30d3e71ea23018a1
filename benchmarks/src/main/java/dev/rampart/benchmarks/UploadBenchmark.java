package dev.rampart.benchmarks;

import dev.rampart.agent.PartyAgent;
import dev.rampart.agent.Uploader;
import dev.rampart.datasets.Header;
import dev.rampart.datasets.IdxSource;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Role;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Fashion-MNIST's training set (canonical form, 47 MB) uploaded from a party agent to a coordinator's sealed
 * storage over loopback (attestation, TLS 1.3, gRPC, per-chunk digest, sealing, forcing to disk, final re-hash and
 * re-seal), against raw TLS 1.3 throughput on loopback (the JDK's SSLSocket, same size, no protocol, nothing
 * stored), alternating, in one run. Each upload goes to a fresh state directory.
 */
public final class UploadBenchmark {
  private UploadBenchmark() {}

  static final int WARMUP_ROUNDS = 3;

  public record Result(long bytes, double uploadMbPerSecond, double rawTlsMbPerSecond) {
    public double ratio() {
      return uploadMbPerSecond / rawTlsMbPerSecond;
    }
  }

  public static Result run(Path fashionDir, int rounds, Path workDir) throws Exception {
    IdxSource src = IdxSource.open(fashionDir.resolve("train-images-idx3-ubyte.gz"),
        fashionDir.resolve("train-labels-idx1-ubyte.gz"), 10);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    src.writeCanonical(out);
    byte[] canonical = out.toByteArray();
    Header h = src.header();
    List<Double> upload = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    // warm-up of both paths: the JDK's AES-GCM runs at about 0.1 GB/s until C2 compiles its AVX intrinsic, which
    // takes a few hundred MB through it; a coordinator is a long-running server, so steady state is what counts
    for (int i = 0; i < WARMUP_ROUNDS; i++) {
      rawTls(canonical);
      uploadOnce(canonical, h, workDir.resolve("warmup-" + i));
    }
    for (int i = 0; i < rounds; i++) {
      raw.add(mbPerSecond(canonical.length, rawTls(canonical)));
      upload.add(mbPerSecond(canonical.length, uploadOnce(canonical, h, workDir.resolve("round-" + i))));
    }
    return new Result(canonical.length, LocalCoordinator.median(upload), LocalCoordinator.median(raw));
  }

  private static double mbPerSecond(long bytes, long nanos) {
    return bytes / 1e6 / (nanos / 1e9);
  }

  /** Nanoseconds to upload to a fresh coordinator, from the agent's first call to the sealed, journaled dataset. */
  static long uploadOnce(byte[] canonical, Header h, Path dir) throws Exception {
    try (LocalCoordinator c = LocalCoordinator.start(dir, "upload benchmark")) {
      AttestedChannel.Target target = c.target;
      KeyIdentity owner = KeyIdentity.generate("owner");
      c.enrol(Role.OWNER, owner);
      try (PartyAgent agent = new PartyAgent(target, owner, Clock.systemUTC(), Duration.ofSeconds(120))) {
        Uploader up = new Uploader(agent::session, owner, 1, Duration.ofMillis(100));
        DatasetManifest m = up.manifest("fashion-train", canonical, h.rowCount(), h.featureCount(), h.classCount());
        License l = License.newBuilder().setEpsilon(3).setDelta(1e-5).build();
        long t0 = System.nanoTime();
        Uploader.Result r = up.upload(m, canonical, l, Uploader.Progress.NONE);
        long t = System.nanoTime() - t0;
        if (!r.uploaded()) {
          throw new IllegalStateException("the benchmark's upload did not happen");
        }
        return t;
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Nanoseconds to send the bytes over TLS 1.3 on loopback and have the receiver read them all. */
  static long rawTls(byte[] data) throws Exception {
    KeyIdentity key = KeyIdentity.generate("raw-tls");
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = "benchmark".toCharArray();
    ks.setKeyEntry("k", key.privateKey(), pw, new java.security.cert.Certificate[] {key.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    SSLContext server = SSLContext.getInstance("TLSv1.3");
    server.init(kmf.getKeyManagers(), null, new SecureRandom());
    SSLContext client = SSLContext.getInstance("TLSv1.3");
    client.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    }}, new SecureRandom());
    try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      ss.setEnabledProtocols(new String[] {"TLSv1.3"});
      long[] received = new long[1];
      Thread reader = new Thread(() -> {
        try (SSLSocket s = (SSLSocket) ss.accept(); InputStream in = s.getInputStream()) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            received[0] += n;
          }
        } catch (Exception e) {
          received[0] = -1;
        }
      });
      reader.start();
      long t0 = System.nanoTime();
      try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(java.net.InetAddress.getLoopbackAddress(),
          ss.getLocalPort())) {
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        OutputStream o = s.getOutputStream();
        for (int off = 0; off < data.length; off += 1 << 16) {
          o.write(data, off, Math.min(1 << 16, data.length - off));
        }
        o.flush();
      }
      reader.join();
      long t = System.nanoTime() - t0;
      if (received[0] != data.length) {
        throw new IllegalStateException("raw TLS received " + received[0] + " of " + data.length + " bytes");
      }
      return t;
    }
  }
}
