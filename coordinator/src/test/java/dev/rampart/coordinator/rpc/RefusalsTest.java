package dev.rampart.coordinator.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.coordinator.ServiceException.Refusal;
import io.vertx.grpc.common.GrpcStatus;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RefusalsTest {
  @Test
  void everyRefusal_hasItsOwnStatus_andNoneIsAnInternalError() {
    Set<GrpcStatus> statuses = EnumSet.allOf(Refusal.class).stream().map(Refusals::status).collect(Collectors.toSet());
    assertThat(statuses).hasSize(Refusal.values().length)
        .doesNotContain(GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.OK);
    assertThat(Refusals.status(Refusal.INVALID)).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(Refusals.status(Refusal.PRECONDITION)).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
    assertThat(Refusals.status(Refusal.EXHAUSTED)).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
  }
}
