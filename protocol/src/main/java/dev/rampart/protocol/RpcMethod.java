package dev.rampart.protocol;

import com.google.protobuf.Message;
import com.google.protobuf.InvalidProtocolBufferException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.common.WireFormat;

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

  /**
   * The server side. A request that is not a valid protobuf of the request type decodes to {@code null} (the
   * server answers INVALID_ARGUMENT itself) instead of an exception that would only reset the stream; the JSON
   * wire format is not accepted.
   */
  @SuppressWarnings("unchecked")
  public ServiceMethod<Q, R> server() {
    GrpcMessageDecoder<Q> lenient = new GrpcMessageDecoder<>() {
      @Override
      public Q decode(GrpcMessage message) {
        try {
          return (Q) requestPrototype.getParserForType().parseFrom(message.payload().getBytes());
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }

      @Override
      public boolean accepts(WireFormat format) {
        return format == WireFormat.PROTOBUF;
      }
    };
    return ServiceMethod.server(service, name, GrpcMessageEncoder.encoder(), lenient);
  }

  @Override
  public String toString() {
    return fullName();
  }
}
