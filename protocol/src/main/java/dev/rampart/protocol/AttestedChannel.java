package dev.rampart.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.AttestationVerifier;
import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.Failure;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.protocol.v1.AttestRequest;
import dev.rampart.protocol.v1.AttestResponse;
import dev.rampart.protocol.v1.Principal;
import dev.rampart.protocol.v1.WhoAmIRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * A session with the coordinator that is trusted only after remote attestation (ARCHITECTURE.md, "the
 * attested channel"), the one client every caller uses:
 * <ol>
 *   <li>TLS 1.3, the coordinator's self-signed certificate accepted provisionally;
 *   <li>a fresh 32-byte nonce; the evidence must bind it and the public key of <em>this</em> TLS session
 *       ({@code ChannelBinding}), chain to a pinned root and match the caller's policy (measurement, debug,
 *       TCB), verified at the caller's clock;
 *   <li>only then the caller's own identity ({@code WhoAmI}, mutual TLS) and its data.
 * </ol>
 * Every later call checks, before it writes a byte, that its connection's peer key is still the attested key:
 * a connection re-established to anything else (a man in the middle with another certificate, a restarted
 * coordinator with a new key) fails with {@link AttestationException} and sends nothing. Calls block the
 * calling thread, so never call them from a Vert.x event loop.
 */
public final class AttestedChannel implements AutoCloseable {
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final GrpcClient grpc;
  private final SocketAddress address;
  private final Duration timeout;
  private final byte[] attestedSpki;
  private final VerificationResult attestation;
  private volatile Principal principal;

  /** The largest message either side sends (the coordinator's limit too). */
  public static final int MAX_MESSAGE_BYTES = 4 << 20;

  private AttestedChannel(Vertx vertx, boolean ownsVertx, GrpcClient grpc, SocketAddress address,
      Duration timeout, byte[] attestedSpki, VerificationResult attestation) {
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.grpc = grpc;
    this.address = address;
    this.timeout = timeout;
    this.attestedSpki = attestedSpki;
    this.attestation = attestation;
  }

  /** How to reach and judge the coordinator. */
  public record Target(String host, int port, AttestationPolicy policy) {
    public Target {
      if (host == null || host.isBlank() || port < 1 || port > 65535) {
        throw new IllegalArgumentException("a coordinator address is HOST:PORT, got " + host + ":" + port);
      }
      if (policy == null) {
        throw new IllegalArgumentException("a policy (reference values) is required to trust a coordinator");
      }
    }

    /** Parses {@code HOST:PORT}. */
    public static Target parse(String hostPort, AttestationPolicy policy) {
      int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("a coordinator address is HOST:PORT, got '" + hostPort + "'");
      }
      int port;
      try {
        port = Integer.parseInt(hostPort.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("a coordinator address is HOST:PORT, got '" + hostPort + "'");
      }
      return new Target(hostPort.substring(0, colon), port, policy);
    }
  }

  /**
   * Opens and attests a session, then (with an identity) checks that the coordinator knows the caller.
   *
   * @param vertx the Vert.x instance to run on, or null for a private one closed with the channel
   * @param identity the caller's key, or null for an anonymous attestation-only session
   * @param clock the verification time (tests inject one)
   * @throws AttestationException the evidence failed a check: nothing was sent
   * @throws RpcException the coordinator could not be reached, or refused the caller's identity
   */
  public static AttestedChannel open(Vertx vertx, Target target, KeyIdentity identity, Clock clock, Duration timeout)
      throws RpcException {
    boolean owns = vertx == null;
    Vertx v = owns ? Vertx.vertx() : vertx;
    // one connection (HTTP/2's default pool size): every call is multiplexed on the attested session, and
    // re-checked if it is replaced
    GrpcClient grpc = GrpcClient.builder(v)
        .with(new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES))
        .with(Tls.clientOptions(identity, timeout, Duration.ofMinutes(5)))
        .build();
    SocketAddress address = SocketAddress.inetSocketAddress(target.port(), target.host());
    try {
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      Future<Attested> attested = grpc.request(address, Api.ATTEST.client()).compose(req -> {
        byte[] spki;
        try {
          spki = peerSpki(req.connection());
        } catch (SSLPeerUnverifiedException e) {
          req.cancel();
          return Future.failedFuture(new RpcException(GrpcStatus.UNAVAILABLE, "the coordinator sent no certificate"));
        }
        return req.send(AttestRequest.newBuilder().setNonce(ByteString.copyFrom(nonce)).build())
            .compose(AttestedChannel::single)
            .map(resp -> new Attested(resp, spki));
      });
      Attested a = await(attested, timeout, "attestation");
      VerificationResult result = verify(a, target.policy(), clock, nonce);
      AttestedChannel channel = new AttestedChannel(v, owns, grpc, address, timeout, a.spki, result);
      if (identity != null) {
        try {
          channel.principal = channel.call(Api.WHO_AM_I, WhoAmIRequest.getDefaultInstance());
        } catch (RpcException e) {
          channel.close();
          throw e;
        }
      }
      return channel;
    } catch (RpcException | RuntimeException e) {
      grpc.close();
      if (owns) {
        v.close();
      }
      throw e;
    }
  }

  private record Attested(AttestResponse response, byte[] spki) {}

  private static VerificationResult verify(Attested a, AttestationPolicy policy, Clock clock, byte[] nonce)
      throws AttestationException {
    AttestResponse r = a.response();
    Evidence evidence;
    VerificationResult result;
    try {
      // the platform comes from the evidence's own format, never from the coordinator's word
      evidence = Evidence.decode(r.getEvidence().toByteArray());
      result = AttestationVerifier.verify(evidence,
          new Endorsements(orNull(r.getEndorsementKey()), orNull(r.getChain()), orNull(r.getCollateral())),
          policy, clock.instant(), nonce, a.spki());
    } catch (EvidenceFormatException e) {
      throw new AttestationException("the coordinator's evidence is unusable: " + e.getMessage()
          + "; nothing was sent", null);
    }
    if (!result.valid()) {
      String failures = result.failures().stream().map(Failure::toString).collect(Collectors.joining("; "));
      throw new AttestationException("the coordinator failed attestation (" + evidence.platform().id()
          + ", measurement " + result.measurementHex() + "): " + failures + "; nothing was sent", result);
    }
    return result;
  }

  private static byte[] orNull(ByteString b) {
    return b.isEmpty() ? null : b.toByteArray();
  }

  private static byte[] peerSpki(HttpConnection connection) throws SSLPeerUnverifiedException {
    List<Certificate> certs = connection.peerCertificates();
    if (certs == null || certs.isEmpty()) {
      throw new SSLPeerUnverifiedException("no peer certificate");
    }
    return certs.get(0).getPublicKey().getEncoded();
  }

  private static <R extends Message> Future<R> single(GrpcClientResponse<?, R> response) {
    return response.last().transform(ar -> {
      if (response.status() != null && response.status() != GrpcStatus.OK) {
        String message = response.statusMessage();
        return Future.failedFuture(new RpcException(response.status(),
            message == null || message.isEmpty() ? "the coordinator answered " + response.status() : message));
      }
      if (ar.failed()) {
        return Future.failedFuture(ar.cause());
      }
      return Future.succeededFuture(ar.result());
    });
  }

  /** The attestation result this session trusts (platform, measurement, insecure for simulated TEEs). */
  public VerificationResult attestation() {
    return attestation;
  }

  /** The caller as the coordinator knows it, or null for an anonymous session. */
  public Principal principal() {
    return principal;
  }

  /**
   * One call on the attested session.
   *
   * @throws AttestationException the connection's peer key is not the attested key: nothing was sent
   * @throws RpcException the coordinator answered an error, or the call failed or timed out
   */
  public <Q extends Message, R extends Message> R call(RpcMethod<Q, R> method, Q request) throws RpcException {
    return await(callAsync(method, request), timeout, method.fullName());
  }

  /** Waits for a {@link #callAsync} result with this session's timeout (never on an event loop). */
  public <T> T join(Future<T> future, String what) throws RpcException {
    return await(future, timeout, what);
  }

  /** {@link #call} without blocking; safe on any thread. */
  public <Q extends Message, R extends Message> Future<R> callAsync(RpcMethod<Q, R> method, Q request) {
    return grpc.request(address, method.client()).compose(req -> {
      byte[] spki;
      try {
        spki = peerSpki(req.connection());
      } catch (SSLPeerUnverifiedException e) {
        spki = null;
      }
      if (spki == null || !Arrays.equals(spki, attestedSpki)) {
        req.cancel();
        req.connection().close();
        return Future.failedFuture(new AttestationException("the coordinator's TLS key is not the one it attested"
            + " (a restarted coordinator or a man in the middle): nothing was sent; open a new session to attest"
            + " again", null));
      }
      GrpcClientRequest<Q, R> r = req;
      r.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return r.send(request).compose(AttestedChannel::single);
    });
  }

  private static <T> T await(Future<T> future, Duration timeout, String what) throws RpcException {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RpcException r) {
        throw r;
      }
      throw new RpcException(GrpcStatus.UNAVAILABLE, what + " failed: " + describe(c), c);
    } catch (TimeoutException e) {
      throw new RpcException(GrpcStatus.DEADLINE_EXCEEDED, what + ": no answer within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RpcException(GrpcStatus.CANCELLED, what + " was interrupted");
    }
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return (m == null || m.isBlank()) ? t.getClass().getSimpleName() : m;
  }

  @Override
  public void close() {
    try {
      grpc.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // closing a broken connection: nothing more to do
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (ownsVertx) {
        vertx.close();
      }
    }
  }
}
