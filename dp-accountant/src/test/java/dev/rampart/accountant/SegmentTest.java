package dev.rampart.accountant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The one rule for epochs to steps (issue 13: there were three, ceil, floor and round(1/q) × epochs). */
class SegmentTest {
  @Test
  void stepsForEpochs_isTheCeilingOfEpochsOverQ_withWholeQuotientsExact() {
    assertThat(Segment.stepsForEpochs(15, 256 / 60_000.0)).isEqualTo(3516); // 3515.625
    assertThat(Segment.stepsForEpochs(1, 256 / 60_000.0)).isEqualTo(235); // 234.375
    assertThat(Segment.stepsForEpochs(0.5, 0.03)).isEqualTo(17); // 16.67
    // whole quotients that double precision puts a hair off: 0.7 / 0.1 is 6.999999999999999, 2.1 / 0.3 is
    // 7.000000000000001 (a plain ceil would give 8): both mean exactly 7 steps
    assertThat(0.7 / 0.1).isLessThan(7.0);
    assertThat(2.1 / 0.3).isGreaterThan(7.0);
    assertThat(Segment.stepsForEpochs(0.7, 0.1)).isEqualTo(7);
    assertThat(Segment.stepsForEpochs(2.1, 0.3)).isEqualTo(7);
    assertThat(Segment.stepsForEpochs(3, 0.01)).isEqualTo(300);
    assertThat(Segment.stepsForEpochs(3.5, 0.01)).isEqualTo(350);
    assertThat(Segment.stepsForEpochs(60, 0.1)).isEqualTo(600);
    assertThat(Segment.stepsForEpochs(0, 0.5)).isZero();
    assertThat(Segment.stepsForEpochs(1, 1.0)).isEqualTo(1);
  }

  @Test
  void stepsForEpochs_refusesWhatIsNotARun() {
    assertThatThrownBy(() -> Segment.stepsForEpochs(-1, 0.1)).hasMessageContaining("epochs");
    assertThatThrownBy(() -> Segment.stepsForEpochs(Double.NaN, 0.1)).hasMessageContaining("epochs");
    assertThatThrownBy(() -> Segment.stepsForEpochs(1, 0)).hasMessageContaining("sample rate");
    assertThatThrownBy(() -> Segment.stepsForEpochs(1e300, 1e-10)).hasMessageContaining("fit a long");
  }
}
