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
  /** How long a request's message may take to arrive, but for uploads and submissions (the call timeout). */
  static final long MESSAGE_WAIT_MILLIS = 30_000;
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
    route(grpc, Api.ATTEST, false, services.attestations()::attest);
    route(grpc, Api.WHO_AM_I, true, (c, r) -> services.identities().whoAmI(c));
    route(grpc, Api.ENROLL, true, services.identities()::enroll);
    route(grpc, Api.REVOKE, true, services.identities()::revoke);
    route(grpc, Api.LIST_PRINCIPALS, true, (c, r) -> services.identities().listPrincipals(c));
    route(grpc, Api.BEGIN_UPLOAD, true, services.uploads()::beginUpload);
    route(grpc, Api.UPLOAD_CHUNK, true, services.uploads()::uploadChunk);
    route(grpc, Api.FINISH_UPLOAD, true, services.uploads()::finishUpload);
    route(grpc, Api.LIST_DATASETS, true, (c, r) -> services.datasets().listDatasets(c));
    route(grpc, Api.SET_LICENSE, true, services.datasets()::setLicense);
    route(grpc, Api.REQUEST_APPROVAL, true, services.approvals()::requestApproval);
    route(grpc, Api.LIST_APPROVALS, true, services.approvals()::listApprovals);
    route(grpc, Api.DECIDE_APPROVAL, true, services.approvals()::decide);
    route(grpc, Api.EXPORT_JOURNAL, true, services.audit()::exportJournal);
    route(grpc, Api.SUBMIT_JOB, true, (c, r) -> services.jobs().submit(c, r));
    route(grpc, Api.LIST_JOBS, true, (c, r) -> dev.rampart.protocol.v1.ListJobsResponse.newBuilder()
        .addAllJobs(services.jobs().list(c)).build());
    route(grpc, Api.GET_JOB, true, (c, r) -> services.jobs().get(c, r.getJobId()));
    route(grpc, Api.CANCEL_JOB, true, (c, r) -> services.jobs().cancel(c, r.getJobId()));
    route(grpc, Api.FETCH_MODEL, true, (c, r) -> services.releases().fetchModel(c, r));
    route(grpc, Api.EVALUATE, true, (c, r) -> services.evaluations().evaluate(c, r));
    HttpServerOptions options = Tls.serverOptions(tlsKey, limits.idleTimeout())
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(limits.maxConcurrentStreams())
            .setInitialWindowSize(Tls.STREAM_WINDOW).setMaxFrameSize(1 << 20))
        .setHost(host)
        .setPort(port);
    return vertx.createHttpServer(options)
        .connectionHandler(this::admit)
        .requestHandler(req -> grpc.handle(new FrameGuard((io.vertx.core.internal.http.HttpServerRequestInternal) req,
            maxRequestBytes(req.path()), bytesPerHost.computeIfAbsent(host(req.connection()), k -> new AtomicLong()))))
        .listen().onSuccess(s -> server = s);
  }

  /** Connections open at once from one host (an agent or a client opens one per session). */
  static final int MAX_CONNECTIONS_PER_HOST = 64;
  /** Request bytes received but not yet a complete message, from one host, across all its streams. */
  static final long MAX_BYTES_IN_FLIGHT_PER_HOST = 64L << 20;
  /** The largest request message per method (with its 5-byte gRPC prefix); others get {@link #DEFAULT_REQUEST_BYTES}. */
  static final int DEFAULT_REQUEST_BYTES = 256 << 10;
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> connectionsPerHost = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> bytesPerHost = new ConcurrentHashMap<>();

  /** The most bytes a request to this path may carry: Attest needs a few KiB, an upload chunk 1 MiB. */
  long maxRequestBytes(String path) {
    String method = path == null ? "" : path.startsWith("/") ? path.substring(1) : path;
    if (method.equals(Api.ATTEST.fullName())) {
      return 64 << 10;
    }
    if (method.equals(Api.UPLOAD_CHUNK.fullName()) || method.equals(Api.SUBMIT_JOB.fullName())) {
      return limits.maxMessageBytes() + 5;
    }
    return Math.min(DEFAULT_REQUEST_BYTES, limits.maxMessageBytes() + 5);
  }

  /** Refuses a host's connection beyond {@link #MAX_CONNECTIONS_PER_HOST}; counts it down when it closes. */
  private void admit(HttpConnection connection) {
    String host = host(connection);
    var open = connectionsPerHost.computeIfAbsent(host, k -> new java.util.concurrent.atomic.AtomicInteger());
    if (open.incrementAndGet() > MAX_CONNECTIONS_PER_HOST) {
      open.decrementAndGet();
      LOG.warning("refused a connection from " + host + ": it has " + MAX_CONNECTIONS_PER_HOST + " open already");
      connection.close();
      return;
    }
    connection.closeHandler(v -> open.decrementAndGet());
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
          if (e instanceof io.vertx.grpc.common.MessageSizeOverflowException) {
            // the length prefix already says too much: refused before the body is read
            fail(req, GrpcStatus.RESOURCE_EXHAUSTED, "the message is larger than " + limits.maxMessageBytes()
                + " bytes, the most " + method.fullName() + " takes");
          } else {
            fail(req, GrpcStatus.INVALID_ARGUMENT, "the message is not a valid " + method.fullName() + " request"
                + " (malformed protobuf)");
          }
        }
      });
      AtomicBoolean received = new AtomicBoolean();
      // the request message itself must arrive soon: a caller trickling an unfinished message holds a stream
      long messageWait = method == (RpcMethod<?, ?>) Api.UPLOAD_CHUNK || method == (RpcMethod<?, ?>) Api.SUBMIT_JOB
          ? limits.callTimeout().toMillis() : Math.min(limits.callTimeout().toMillis(), MESSAGE_WAIT_MILLIS);
      long messageTimer = vertx.setTimer(messageWait, t -> {
        if (!received.get() && answered.compareAndSet(false, true)) {
          vertx.cancelTimer(timer);
          fail(req, GrpcStatus.DEADLINE_EXCEEDED, "the request message did not arrive within " + messageWait / 1000
              + " s");
        }
      });
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
        vertx.cancelTimer(messageTimer);
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
            fail(req, Refusals.status(s.refusal()), s.getMessage());
          } else if (ar.cause() instanceof dev.rampart.coordinator.storage.SealedDataException d) {
            // a sealed file on the coordinator's disk is damaged: say which, and that the operator restores it
            LOG.log(Level.SEVERE, method.fullName() + " from " + caller.describe() + ": " + d.getMessage());
            fail(req, GrpcStatus.DATA_LOSS, "the coordinator's stored data is damaged: " + d.getMessage());
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

  static String host(HttpConnection connection) {
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
