package dev.rampart.protocol;

import io.vertx.grpc.common.GrpcStatus;

/**
 * A call the coordinator answered with an error status, or that could not complete. The message is the
 * coordinator's, written for a person; it never carries secrets.
 */
public class RpcException extends dev.rampart.common.RampartException {
  private static final long serialVersionUID = 1L;
  private final GrpcStatus status;

  public RpcException(GrpcStatus status, String message) {
    super(message);
    this.status = status;
  }

  public RpcException(GrpcStatus status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public GrpcStatus status() {
    return status;
  }
}
