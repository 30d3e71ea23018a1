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


  /**
   * Medians of the three arms. {@code http2TlsMbPerSecond} is the transport alone: the same bytes as 1 MiB HTTP/2
   * request bodies over Vert.x with Rampart's own TLS options (the JDK's TLS 1.3), as many in flight as the agent
   * keeps, answered at once, nothing stored: what gRPC, the coordinator's storage and attestation add is the gap
   * between it and the upload.
   */
  public record Result(long bytes, double uploadMbPerSecond, double rawTlsMbPerSecond, double http2TlsMbPerSecond,
      double streamingMbPerSecond, double sessionMillis) {
    public double ratio() {
      return uploadMbPerSecond / rawTlsMbPerSecond;
    }

    public double ratioToHttp2() {
      return uploadMbPerSecond / http2TlsMbPerSecond;
    }
  }

  /**
   * @param warmup rounds of all arms run first and not measured: with 3 the JIT was still compiling during the
   *     measured rounds (a C2 compiler thread took 120-330 ms of CPU per upload round on 2 cores after 10 and after
   *     20 rounds; the upload path, Vert.x, gRPC, protobuf and sealing, has far more code to compile than raw TLS)
   * @return medians; {@code streamingMbPerSecond} is the upload's chunks alone (from BeginUpload's answer to the
   *     last acknowledgement) and {@code sessionMillis} the attested session it opens first
   */
  public static Result run(Path fashionDir, int rounds, int warmup, Path workDir) throws Exception {
    IdxSource src = IdxSource.open(fashionDir.resolve("train-images-idx3-ubyte.gz"),
        fashionDir.resolve("train-labels-idx1-ubyte.gz"), 10);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    src.writeCanonical(out);
    byte[] canonical = out.toByteArray();
    Header h = src.header();
    List<Double> upload = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    List<Double> http2 = new ArrayList<>();
    List<Double> streaming = new ArrayList<>();
    List<Double> session = new ArrayList<>();
    // warm-up of both paths: the JDK's AES-GCM runs at about 0.1 GB/s until C2 compiles its AVX intrinsic, which
    // takes a few hundred MB through it; a coordinator is a long-running server, so steady state is what counts
    for (int i = 0; i < warmup; i++) {
      rawTls(canonical);
      http2Tls(canonical);
      uploadOnce(canonical, h, workDir.resolve("warmup-" + i));
    }
    for (int i = 0; i < rounds; i++) {
      raw.add(mbPerSecond(canonical.length, rawTls(canonical)));
      http2.add(mbPerSecond(canonical.length, http2Tls(canonical)));
      Timing t = uploadOnce(canonical, h, workDir.resolve("round-" + i));
      upload.add(mbPerSecond(canonical.length, t.totalNanos()));
      streaming.add(mbPerSecond(canonical.length, t.streamingNanos()));
      session.add(t.sessionNanos() / 1e6);
    }
    return new Result(canonical.length, LocalCoordinator.median(upload), LocalCoordinator.median(raw),
        LocalCoordinator.median(http2), LocalCoordinator.median(streaming), LocalCoordinator.median(session));
  }

  private static double mbPerSecond(long bytes, long nanos) {
    return bytes / 1e6 / (nanos / 1e9);
  }

  /**
   * One upload's times: in all, from the agent's first call to the sealed, journaled dataset; its attested session;
   * its chunks (BeginUpload's answer to the last chunk's acknowledgement).
   */
  record Timing(long totalNanos, long sessionNanos, long streamingNanos) {}

  /** Uploads to a fresh coordinator. */
  static Timing uploadOnce(byte[] canonical, Header h, Path dir) throws Exception {
    try (LocalCoordinator c = LocalCoordinator.start(dir, "upload benchmark")) {
      AttestedChannel.Target target = c.target;
      KeyIdentity owner = KeyIdentity.generate("owner");
      c.enrol(Role.OWNER, owner);
      try (PartyAgent agent = new PartyAgent(target, owner, Clock.systemUTC(), Duration.ofSeconds(120))) {
        long[] marks = new long[4];
        Uploader up = new Uploader(() -> {
          marks[0] = System.nanoTime();
          AttestedChannel session = agent.session();
          marks[1] = System.nanoTime();
          return session;
        }, owner, 1, Duration.ofMillis(100));
        Uploader.Progress progress = new Uploader.Progress() {
          @Override
          public void start(String name, long totalBytes, long alreadyBytes) {
            marks[2] = System.nanoTime();
          }

          @Override
          public void advance(long bytesDone) {
            if (bytesDone >= canonical.length) {
              marks[3] = System.nanoTime();
            }
          }
        };
        DatasetManifest m = up.manifest("fashion-train", canonical, h.rowCount(), h.featureCount(), h.classCount());
        License l = License.newBuilder().setEpsilon(3).setDelta(1e-5).build();
        long t0 = System.nanoTime();
        Uploader.Result r = up.upload(m, canonical, l, progress);
        long t = System.nanoTime() - t0;
        if (!r.uploaded() || marks[3] == 0) {
          throw new IllegalStateException("the benchmark's upload did not happen");
        }
        return new Timing(t, marks[1] - marks[0], marks[3] - marks[2]);
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * Nanoseconds to send the bytes as 1 MiB HTTP/2 request bodies over Vert.x with Rampart's TLS options, {@link
   * Uploader#IN_FLIGHT} at a time, each answered once its body is in: the transport under the upload, without
   * gRPC, attestation or storage (a fresh server, client and connection each time, as the upload has).
   */
  static long http2Tls(byte[] data) throws Exception {
    io.vertx.core.Vertx serverVertx = io.vertx.core.Vertx.vertx();
    io.vertx.core.Vertx clientVertx = io.vertx.core.Vertx.vertx();
    try {
      io.vertx.core.http.HttpServerOptions so = dev.rampart.protocol.Tls.serverOptions(
          KeyIdentity.generate("http2-server"), Duration.ofSeconds(60))
          .setInitialSettings(new io.vertx.core.http.Http2Settings()
              .setInitialWindowSize(dev.rampart.protocol.Tls.STREAM_WINDOW).setMaxFrameSize(1 << 20))
          .setHost("127.0.0.1").setPort(0);
      io.vertx.core.http.HttpServer server = serverVertx.createHttpServer(so)
          .requestHandler(req -> req.body().onSuccess(b -> req.response().end(String.valueOf(b.length()))))
          .listen().toCompletionStage().toCompletableFuture().get();
      io.vertx.core.http.HttpClient client = clientVertx.createHttpClient(dev.rampart.protocol.Tls.clientOptions(
          KeyIdentity.generate("http2-client"), Duration.ofSeconds(10), Duration.ofSeconds(60)));
      io.vertx.core.http.RequestOptions target = new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.POST).setHost("127.0.0.1").setPort(server.actualPort())
          .setURI("/chunk");
      long t0 = System.nanoTime();
      java.util.ArrayDeque<java.util.concurrent.CompletableFuture<io.vertx.core.buffer.Buffer>> inflight =
          new java.util.ArrayDeque<>();
      long received = 0;
      for (int off = 0; off < data.length || !inflight.isEmpty(); ) {
        if (off < data.length && inflight.size() < Uploader.IN_FLIGHT) {
          io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer(
              java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + (1 << 20))));
          inflight.add(client.request(target).compose(r -> r.send(body))
              .compose(io.vertx.core.http.HttpClientResponse::body).toCompletionStage().toCompletableFuture());
          off += body.length();
        } else {
          received += Long.parseLong(inflight.poll().get(60, java.util.concurrent.TimeUnit.SECONDS).toString());
        }
      }
      long t = System.nanoTime() - t0;
      if (received != data.length) {
        throw new IllegalStateException("HTTP/2 received " + received + " of " + data.length + " bytes");
      }
      return t;
    } finally {
      clientVertx.close().toCompletionStage().toCompletableFuture().get();
      serverVertx.close().toCompletionStage().toCompletableFuture().get();
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
