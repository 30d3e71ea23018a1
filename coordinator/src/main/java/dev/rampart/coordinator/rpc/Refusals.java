package dev.rampart.coordinator.rpc;

import dev.rampart.coordinator.ServiceException.Refusal;
import io.vertx.grpc.common.GrpcStatus;

/** The one place a domain refusal becomes a gRPC status. */
final class Refusals {
  private Refusals() {}

  static GrpcStatus status(Refusal refusal) {
    return switch (refusal) {
      case INVALID -> GrpcStatus.INVALID_ARGUMENT;
      case DENIED -> GrpcStatus.PERMISSION_DENIED;
      case NOT_FOUND -> GrpcStatus.NOT_FOUND;
      case PRECONDITION -> GrpcStatus.FAILED_PRECONDITION;
      case ALREADY_EXISTS -> GrpcStatus.ALREADY_EXISTS;
      case EXHAUSTED -> GrpcStatus.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> GrpcStatus.UNAVAILABLE;
      case ABORTED -> GrpcStatus.ABORTED;
    };
  }
}
