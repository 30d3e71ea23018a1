package dev.rampart.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.coordinator.ServiceException;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.MetricsRelease;
import dev.rampart.protocol.v1.WeightRelease;
import java.util.List;
import org.junit.jupiter.api.Test;

class LicensesTest {
  static License.Builder base() {
    return License.newBuilder().setEpsilon(3).setDelta(1e-5);
  }

  @Test
  void intersection_narrowsPermissions_andTakesTheStrictestRelease() {
    License a = base().addAllListers(List.of("alice", "bob")).addAllTrainers(List.of("alice", "bob"))
        .setWeightRelease(WeightRelease.TO_NAMED).addAllReleaseTo(List.of("alice", "bob"))
        .setMetricsRelease(MetricsRelease.EXACT).setExpiresAtMillis(2_000).build();
    License b = base().setEpsilon(1).addAllListers(List.of("alice")).addAllTrainers(List.of("alice", "carol"))
        .setDpRequired(true).setWeightRelease(WeightRelease.AFTER_OWNER_APPROVAL).addAllReleaseTo(List.of("alice"))
        .setMetricsRelease(MetricsRelease.DP_ONLY).setExpiresAtMillis(1_000).build();
    License i = Licenses.intersect(List.of(a, b));
    assertThat(i.getListersList()).containsExactly("alice");
    assertThat(i.getTrainersList()).containsExactly("alice");
    assertThat(i.getReleaseToList()).containsExactly("alice");
    assertThat(i.getWeightRelease()).isEqualTo(WeightRelease.AFTER_OWNER_APPROVAL);
    assertThat(i.getMetricsRelease()).isEqualTo(MetricsRelease.DP_ONLY);
    assertThat(i.getDpRequired()).isTrue();
    assertThat(i.getEpsilon()).isEqualTo(1);
    assertThat(i.getExpiresAtMillis()).isEqualTo(1_000);
    // an unspecified release is NEVER, and NEVER wins
    assertThat(Licenses.intersect(List.of(a, base().build())).getWeightRelease()).isEqualTo(WeightRelease.NEVER);
    assertThat(Licenses.intersect(List.of(a, base().build())).getReleaseToList()).isEmpty();
  }

  @Test
  void validation_namesTheField() throws Exception {
    assertThatThrownBy(() -> Licenses.validate(base().setEpsilon(0).build(), 0))
        .isInstanceOf(ServiceException.class).hasMessageContaining("epsilon");
    assertThatThrownBy(() -> Licenses.validate(base().setEpsilon(Double.NaN).build(), 0)).hasMessageContaining("epsilon");
    assertThatThrownBy(() -> Licenses.validate(base().setDelta(0.5).build(), 0)).hasMessageContaining("delta");
    assertThatThrownBy(() -> Licenses.validate(base().addListers("Not A Name").build(), 0))
        .hasMessageContaining("names principals");
    assertThatThrownBy(() -> Licenses.validate(base().setWeightRelease(WeightRelease.TO_NAMED).build(), 0))
        .hasMessageContaining("release_to");
    assertThatThrownBy(() -> Licenses.validate(base().setExpiresAtMillis(5).build(), 10)).hasMessageContaining("past");
    License ok = Licenses.validate(base().build(), 0);
    assertThat(ok.getWeightRelease()).isEqualTo(WeightRelease.NEVER);
    assertThat(ok.getMetricsRelease()).isEqualTo(MetricsRelease.DP_ONLY);
  }
}
