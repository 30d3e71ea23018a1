package dev.rampart.coordinator;

import io.vertx.grpc.common.GrpcStatus;

/** A refusal a caller can act on: the status and a message that says what to do. Never carries secrets. */
public final class ServiceException extends Exception {
  private static final long serialVersionUID = 1L;
  private final GrpcStatus status;

  public ServiceException(GrpcStatus status, String message) {
    super(message);
    this.status = status;
  }

  public GrpcStatus status() {
    return status;
  }

  public static ServiceException invalid(String message) {
    return new ServiceException(GrpcStatus.INVALID_ARGUMENT, message);
  }

  public static ServiceException denied(String message) {
    return new ServiceException(GrpcStatus.PERMISSION_DENIED, message);
  }

  public static ServiceException notFound(String message) {
    return new ServiceException(GrpcStatus.NOT_FOUND, message);
  }

  public static ServiceException precondition(String message) {
    return new ServiceException(GrpcStatus.FAILED_PRECONDITION, message);
  }
}
