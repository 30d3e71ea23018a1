package dev.rampart.coordinator.rpc;

import io.vertx.grpc.common.GrpcStatus;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Guards a request before Vert.x's gRPC layer buffers it. Vert.x accumulates a message up to the server-wide
 * maximum before any handler of ours runs, so without this an anonymous caller could hold 4 MiB per stream in an
 * unfinished Attest message (the red team: 8 connections of 32 streams took the coordinator from 0.3 to 2.5 GB).
 * Here each request is refused as soon as it exceeds its method's size ({@link RpcServer#maxRequestBytes}) or its host has
 * more than {@link RpcServer#MAX_BYTES_IN_FLIGHT_PER_HOST} in unfinished requests. And Vert.x's deframer throws from the
 * data handler on a frame it does not handle (the compressed flag without a grpc-encoding:
 * {@code UnsupportedOperationException("Handle me")}, 5.0.7), and again at the end of the stream, so neither the
 * call's handlers nor its end ever ran and the caller waited for the 120 s timeout: caught here, answered at once.
 */
final class FrameGuard extends io.vertx.core.internal.http.HttpServerRequestWrapper {
  private static final Logger LOG = Logger.getLogger(FrameGuard.class.getName());
  private final AtomicBoolean refused = new AtomicBoolean();
  private final AtomicBoolean settled = new AtomicBoolean();
  private final long maxBytes;
  private final AtomicLong hostBytes;
  private long received;

  /**
   * @param maxBytes the most this request's method takes
   * @param hostBytes the bytes in unfinished requests of the caller's host, shared by all its requests
   */
  FrameGuard(io.vertx.core.internal.http.HttpServerRequestInternal delegate, long maxBytes, AtomicLong hostBytes) {
    super(delegate);
    this.maxBytes = maxBytes;
    this.hostBytes = hostBytes;
  }

  @Override
  public io.vertx.core.http.HttpServerRequest handler(io.vertx.core.Handler<io.vertx.core.buffer.Buffer> h) {
    return super.handler(h == null ? null : data -> {
      if (refused.get()) {
        return; // dropped: nothing of a refused request is buffered
      }
      received += data.length();
      long inFlight = hostBytes.addAndGet(data.length());
      if (received > maxBytes) {
        refuse(GrpcStatus.RESOURCE_EXHAUSTED, "the request is larger than " + maxBytes + " bytes, the most "
            + path().substring(1) + " takes");
        return;
      }
      if (inFlight > RpcServer.MAX_BYTES_IN_FLIGHT_PER_HOST) {
        refuse(GrpcStatus.RESOURCE_EXHAUSTED, "your host has more than " + (RpcServer.MAX_BYTES_IN_FLIGHT_PER_HOST >> 20)
            + " MiB of unfinished requests in flight; finish or cancel some first");
        return;
      }
      try {
        h.handle(data);
      } catch (RuntimeException e) {
        refuse(GrpcStatus.INVALID_ARGUMENT, "the request is not a valid gRPC message (a compressed flag without a"
            + " grpc-encoding, or a damaged length prefix): send uncompressed length-prefixed protobuf");
      }
    });
  }

  @Override
  public io.vertx.core.http.HttpServerRequest endHandler(io.vertx.core.Handler<Void> h) {
    return super.endHandler(h == null ? null : v -> {
      settle();
      if (!refused.get()) {
        try {
          h.handle(v);
        } catch (RuntimeException e) {
          refuse(GrpcStatus.INVALID_ARGUMENT, "the request is not a valid gRPC message (a compressed flag"
              + " without a grpc-encoding, or a damaged length prefix): send uncompressed length-prefixed protobuf");
        }
      }
    });
  }

  @Override
  public io.vertx.core.http.HttpServerRequest exceptionHandler(io.vertx.core.Handler<Throwable> h) {
    return super.exceptionHandler(h == null ? null : e -> {
      settle(); // a reset stream or a closed connection: its bytes are no longer in flight
      h.handle(e);
    });
  }

  /** Takes this request's bytes off its host's count, once. */
  private void settle() {
    if (settled.compareAndSet(false, true)) {
      hostBytes.addAndGet(-received);
    }
  }

  private void refuse(GrpcStatus status, String message) {
    settle();
    if (!refused.compareAndSet(false, true)) {
      return;
    }
    LOG.fine("refused a request on " + path() + ": " + message);
    var response = response();
    if (!response.ended() && !response.headWritten()) {
      response.putHeader("content-type", "application/grpc")
          .putHeader("grpc-status", String.valueOf(status.code))
          .putHeader("grpc-message", message)
          .end();
    }
    // no RST_STREAM after the answer: Vert.x's client then broke the whole connection (all 128 streams of the test
    // saw "Broken pipe" instead of their status). What the caller still sends on this stream is dropped unread,
    // and the stream counts against its connection's 32 until the caller ends it or the idle timeout closes it.
  }
}
