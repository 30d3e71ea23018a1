package dev.rampart.protocol;

import com.google.protobuf.Message;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;

/**
 * One RPC of {@code rampart.proto}: its service, name and message types, for both sides. Messages are decoded
 * by their generated protobuf parsers only: no reflection on type names from the wire.
 *
 * @param <Q> the request message
 * @param <R> the response message
 */
public final class RpcMethod<Q extends Message, R extends Message> {
  private final ServiceName service;
  private final String name;
  private final Q requestPrototype;
  private final R responsePrototype;

  RpcMethod(String service, String name, Q requestPrototype, R responsePrototype) {
    this.service = ServiceName.create("rampart.v1", service);
    this.name = name;
    this.requestPrototype = requestPrototype;
    this.responsePrototype = responsePrototype;
  }

  /** {@code rampart.v1.Service/Method}, as on the wire. */
  public String fullName() {
    return service.fullyQualifiedName() + "/" + name;
  }

  public ServiceMethod<R, Q> client() {
    return ServiceMethod.client(service, name, GrpcMessageEncoder.encoder(),
        GrpcMessageDecoder.decoder(responsePrototype));
  }

  public ServiceMethod<Q, R> server() {
    return ServiceMethod.server(service, name, GrpcMessageEncoder.encoder(),
        GrpcMessageDecoder.decoder(requestPrototype));
  }

  @Override
  public String toString() {
    return fullName();
  }
}
