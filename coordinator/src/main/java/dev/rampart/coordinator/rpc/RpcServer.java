package dev.rampart.coordinator.rpc;

import com.google.protobuf.Message;
import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.Services;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcMethod;
import dev.rampart.protocol.Tls;
import dev.rampart.protocol.v1.Principal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The coordinator's gRPC endpoint: TLS 1.3 with client certificates, HTTP/2, protobuf. Each call is identified
 * from its TLS session, rate-limited, bounded in size and time, and handed to {@link Services} on a worker thread:
 * the event loop only parses and answers.
 */
public final class RpcServer {
  private static final Logger LOG = Logger.getLogger(RpcServer.class.getName());

  /** Limits; the defaults suit hospital uploads of a few GB. */
  public record Limits(long maxMessageBytes, Duration callTimeout, Duration idleTimeout, double callsPerSecond,
      double burst, int maxConcurrentStreams) {
    public static Limits defaults() {
      return new Limits(4L << 20, Duration.ofSeconds(120), Duration.ofMinutes(5), 200, 400, 32);
    }
  }

  @FunctionalInterface
  private interface Handler<Q, R> {
    R handle(Caller caller, Q request) throws Exception;
  }

  private final Vertx vertx;
  private final Services services;
  private final KeyIdentity tlsKey;
  private final byte[] tlsSpki;
  private final Limits limits;
  private final RateLimiter rates;
  private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
  /** Evidence comes from one device (configfs-tsm serialises it): a few at a time, the rest told to retry. */
  private final java.util.concurrent.Semaphore attestations = new java.util.concurrent.Semaphore(4);
  private HttpServer server;
  /**
   * The calls that may take seconds (validating an upload or a model, running a model over a dataset, streaming
   * a journal or a model) run on their own small pool, at most {@value #EXPENSIVE_PER_CALLER} per caller at a time:
   * a flood of them (the red team's 40-200 concurrent refused submissions delayed another principal's
   * ListDatasets by 6 s) waits on this pool, and cheap calls keep the shared worker pool to themselves.
   */
  static final java.util.Set<String> EXPENSIVE = java.util.Set.of(Api.SUBMIT_JOB.fullName(),
      Api.FINISH_UPLOAD.fullName(), Api.EVALUATE.fullName(), Api.EXPORT_JOURNAL.fullName(), Api.FETCH_MODEL.fullName());
  static final int EXPENSIVE_POOL = 4;
  static final int EXPENSIVE_PER_CALLER = 2;
  private final io.vertx.core.WorkerExecutor expensive;
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> expensiveInFlight = new ConcurrentHashMap<>();

  public RpcServer(Vertx vertx, Services services, KeyIdentity tlsKey, Limits limits) {
    this.vertx = vertx;
    this.services = services;
    this.tlsKey = tlsKey;
    this.tlsSpki = tlsKey.certificate().getPublicKey().getEncoded();
    this.limits = limits;
    this.rates = new RateLimiter(limits.callsPerSecond(), limits.burst());
    this.expensive = vertx.createSharedWorkerExecutor("rampart-expensive", EXPENSIVE_POOL);
  }

  public Future<HttpServer> listen(String host, int port) {
    GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(limits.maxMessageBytes()));
    route(grpc, Api.ATTEST, false, services::attest);
    route(grpc, Api.WHO_AM_I, true, (c, r) -> services.whoAmI(c));
    route(grpc, Api.ENROLL, true, services::enroll);
    route(grpc, Api.REVOKE, true, services::revoke);
    route(grpc, Api.LIST_PRINCIPALS, true, (c, r) -> services.listPrincipals(c));
    route(grpc, Api.BEGIN_UPLOAD, true, services::beginUpload);
    route(grpc, Api.UPLOAD_CHUNK, true, services::uploadChunk);
    route(grpc, Api.FINISH_UPLOAD, true, services::finishUpload);
    route(grpc, Api.LIST_DATASETS, true, (c, r) -> services.listDatasets(c));
    route(grpc, Api.SET_LICENSE, true, services::setLicense);
    route(grpc, Api.REQUEST_APPROVAL, true, services::requestApproval);
    route(grpc, Api.LIST_APPROVALS, true, services::listApprovals);
    route(grpc, Api.DECIDE_APPROVAL, true, services::decide);
    route(grpc, Api.EXPORT_JOURNAL, true, services::exportJournal);
    route(grpc, Api.SUBMIT_JOB, true, (c, r) -> services.jobs().submit(c, r));
    route(grpc, Api.LIST_JOBS, true, (c, r) -> dev.rampart.protocol.v1.ListJobsResponse.newBuilder()
        .addAllJobs(services.jobs().list(c)).build());
    route(grpc, Api.GET_JOB, true, (c, r) -> services.jobs().get(c, r.getJobId()));
    route(grpc, Api.CANCEL_JOB, true, (c, r) -> services.jobs().cancel(c, r.getJobId()));
    route(grpc, Api.FETCH_MODEL, true, (c, r) -> services.jobs().fetchModel(c, r));
    route(grpc, Api.EVALUATE, true, (c, r) -> services.jobs().evaluate(c, r));
    HttpServerOptions options = Tls.serverOptions(tlsKey, limits.idleTimeout())
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(limits.maxConcurrentStreams())
            .setInitialWindowSize(Tls.STREAM_WINDOW))
        .setHost(host)
        .setPort(port);
    return vertx.createHttpServer(options)
        .requestHandler(req -> grpc.handle(new FrameGuard((io.vertx.core.internal.http.HttpServerRequestInternal) req)))
        .listen().onSuccess(s -> server = s);
  }

  /**
   * Vert.x's gRPC deframer throws from the stream's data handler on a frame it does not handle (the compressed flag
   * without a grpc-encoding: {@code UnsupportedOperationException("Handle me")}, 5.0.7) and then again at the end of
   * the stream, so neither the call's handlers nor its end ever run and the caller waited for the 120 s timeout.
   * This wrapper catches what the deframer throws and answers at once: INVALID_ARGUMENT, trailers only.
   */
  private static final class FrameGuard extends io.vertx.core.internal.http.HttpServerRequestWrapper {
    private final AtomicBoolean refused = new AtomicBoolean();

    FrameGuard(io.vertx.core.internal.http.HttpServerRequestInternal delegate) {
      super(delegate);
    }

    @Override
    public io.vertx.core.http.HttpServerRequest handler(io.vertx.core.Handler<io.vertx.core.buffer.Buffer> h) {
      return super.handler(h == null ? null : data -> {
        if (!refused.get()) {
          try {
            h.handle(data);
          } catch (RuntimeException e) {
            refuse(e);
          }
        }
      });
    }

    @Override
    public io.vertx.core.http.HttpServerRequest endHandler(io.vertx.core.Handler<Void> h) {
      return super.endHandler(h == null ? null : v -> {
        if (!refused.get()) {
          try {
            h.handle(v);
          } catch (RuntimeException e) {
            refuse(e);
          }
        }
      });
    }

    private void refuse(RuntimeException e) {
      if (!refused.compareAndSet(false, true)) {
        return;
      }
      LOG.fine("refused an undecodable gRPC frame on " + path() + ": " + e);
      var response = response();
      if (!response.ended() && !response.headWritten()) {
        response.putHeader("content-type", "application/grpc")
            .putHeader("grpc-status", String.valueOf(GrpcStatus.INVALID_ARGUMENT.code))
            .putHeader("grpc-message", "the request is not a valid gRPC message (a compressed flag without a"
                + " grpc-encoding, or a damaged length prefix): send uncompressed length-prefixed protobuf")
            .end();
      } else if (!response.ended()) {
        response.reset();
      }
    }
  }

  /** The bound port (after {@link #listen}). */
  public int port() {
    return server.actualPort();
  }

  /** How many calls of each method arrived (identified or not): what the operator and the tests see. */
  public Map<String, Long> callCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    calls.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public Future<Void> close() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.eventually(() -> expensive.close());
  }

  private <Q extends Message, R extends Message> void route(GrpcServer grpc, RpcMethod<Q, R> method,
      boolean needsPrincipal, Handler<Q, R> handler) {
    grpc.callHandler(method.server(), req -> {
      calls.computeIfAbsent(method.fullName(), k -> new AtomicLong()).incrementAndGet();
      Caller caller = identify(req.connection());
      if (needsPrincipal && caller.principal() == null) {
        fail(req, GrpcStatus.UNAUTHENTICATED, caller.anonymous()
            ? "this call needs a client certificate of an enrolled principal"
            : "your key " + caller.fingerprint().substring(0, 16) + "… is not enrolled or was revoked; ask the admin"
                + " to enrol it (rampart admin enroll)");
        return;
      }
      // callers without an enrolled identity share a bucket per host (a fresh port or a fresh key per
      // connection must not buy a fresh bucket)
      String key = caller.principal() != null ? caller.fingerprint() : host(req.connection());
      if (!rates.tryAcquire(key, System.nanoTime())) {
        fail(req, GrpcStatus.RESOURCE_EXHAUSTED, "too many calls: at most " + (long) limits.callsPerSecond()
            + " a second; slow down and retry");
        return;
      }
      AtomicBoolean answered = new AtomicBoolean();
      long timer = vertx.setTimer(limits.callTimeout().toMillis(), t -> {
        if (answered.compareAndSet(false, true)) {
          fail(req, GrpcStatus.DEADLINE_EXCEEDED, "the call did not complete within "
              + limits.callTimeout().toSeconds() + " s");
        }
      });
      req.invalidMessageHandler(e -> {
        if (answered.compareAndSet(false, true)) {
          vertx.cancelTimer(timer);
          fail(req, GrpcStatus.INVALID_ARGUMENT, "the message is not a valid " + method.fullName() + " request"
              + " (malformed protobuf or over " + limits.maxMessageBytes() + " bytes)");
        }
      });
      AtomicBoolean received = new AtomicBoolean();
      // a frame Vert.x cannot decode (a compressed flag without an encoding, a bad length prefix): answer now,
      // not at the call timeout; if the caller reset the stream, fail() finds nothing to answer
      req.exceptionHandler(e -> {
        if (answered.compareAndSet(false, true)) {
          vertx.cancelTimer(timer);
          fail(req, GrpcStatus.INVALID_ARGUMENT, "the request is not a valid gRPC message for " + method.fullName()
              + " (a bad frame: compressed without an encoding, or a damaged length prefix)");
        }
      });
      // the request ended without one complete message: no message, half a length prefix, a message cut short
      req.endHandler(v -> {
        if (!received.get() && answered.compareAndSet(false, true)) {
          vertx.cancelTimer(timer);
          fail(req, GrpcStatus.INVALID_ARGUMENT, "the request ended without a complete " + method.fullName()
              + " message (none, or cut short): send exactly one length-prefixed protobuf message");
        }
      });
      boolean attest = method == (RpcMethod<?, ?>) Api.ATTEST;
      boolean heavy = EXPENSIVE.contains(method.fullName());
      req.handler(msg -> {
        if (!received.compareAndSet(false, true) || answered.get()) {
          return; // a unary call carries one message: anything after the first is ignored
        }
        if (msg == null) {
          if (answered.compareAndSet(false, true)) {
            vertx.cancelTimer(timer);
            fail(req, GrpcStatus.INVALID_ARGUMENT, "the message is not a valid " + method.fullName()
                + " request (malformed protobuf)");
          }
          return;
        }
        if (attest && !attestations.tryAcquire()) {
          answered.set(true);
          vertx.cancelTimer(timer);
          fail(req, GrpcStatus.RESOURCE_EXHAUSTED, "the TEE is busy producing evidence; retry in a moment");
          return;
        }
        java.util.concurrent.atomic.AtomicInteger mine = heavy
            ? expensiveInFlight.computeIfAbsent(key, k -> new java.util.concurrent.atomic.AtomicInteger()) : null;
        if (mine != null && mine.incrementAndGet() > EXPENSIVE_PER_CALLER) {
          mine.decrementAndGet();
          answered.set(true);
          vertx.cancelTimer(timer);
          fail(req, GrpcStatus.RESOURCE_EXHAUSTED, "you have " + EXPENSIVE_PER_CALLER + " " + method.fullName()
              + "-class calls (submit, finish upload, evaluate, export, fetch) in progress already; wait for one to"
              + " answer, then retry");
          return;
        }
        java.util.concurrent.Callable<R> work = () -> {
          try {
            return handler.handle(caller, msg);
          } finally {
            if (attest) {
              attestations.release();
            }
            if (mine != null) {
              mine.decrementAndGet();
            }
          }
        };
        (heavy ? expensive.executeBlocking(work, false) : vertx.executeBlocking(work, false)).onComplete(ar -> {
          if (!answered.compareAndSet(false, true)) {
            return;
          }
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            req.response().send(ar.result());
          } else if (ar.cause() instanceof ServiceException s) {
            fail(req, s.status(), s.getMessage());
          } else {
            LOG.log(Level.WARNING, method.fullName() + " from " + caller.describe() + " failed", ar.cause());
            fail(req, GrpcStatus.INTERNAL, "internal error in " + method.fullName()
                + "; the coordinator's log has the details");
          }
        });
      });
    });
  }

  private static void fail(GrpcServerRequest<?, ?> req, GrpcStatus status, String message) {
    try {
      req.response().status(status).statusMessage(message).end();
    } catch (IllegalStateException e) {
      // the stream was reset by the caller: nothing to answer
    }
  }

  private static String host(HttpConnection connection) {
    var a = connection.remoteAddress();
    return a == null ? "unknown" : String.valueOf(a.host());
  }

  private Caller identify(HttpConnection connection) {
    String remote = String.valueOf(connection.remoteAddress());
    List<Certificate> certs;
    try {
      certs = connection.peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      certs = null;
    }
    if (certs == null || certs.isEmpty()) {
      return new Caller(null, null, null, tlsSpki, remote);
    }
    PublicKey key = certs.get(0).getPublicKey();
    String fp = KeyIdentity.fingerprint(key);
    CoordinatorState state = services.state();
    Principal p = state.principal(fp).filter(x -> !x.getRevoked()).orElse(null);
    return new Caller(fp, key, p, tlsSpki, remote);
  }
}
