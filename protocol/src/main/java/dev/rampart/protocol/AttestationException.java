package dev.rampart.protocol;

import dev.rampart.attestation.VerificationResult;
import io.vertx.grpc.common.GrpcStatus;

/**
 * The coordinator's attestation failed, or the session's key no longer is the attested one: the caller has
 * closed the connection and sent no data.
 */
public final class AttestationException extends RpcException {
  private static final long serialVersionUID = 1L;
  private final transient VerificationResult result;

  public AttestationException(String message, VerificationResult result) {
    super(GrpcStatus.FAILED_PRECONDITION, message);
    this.result = result;
  }

  /** The verifier's result, or null when the failure came before or after verification. */
  public VerificationResult result() {
    return result;
  }
}
