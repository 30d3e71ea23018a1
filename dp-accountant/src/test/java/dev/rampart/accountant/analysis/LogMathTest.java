package dev.rampart.accountant.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rampart.accountant.ReferenceData;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogMathTest {

  @Test
  void logErfc_matchesMpmathFromMinus30To1e8() throws IOException {
    List<String[]> rows = ReferenceData.rows("/reference/log-erfc.tsv");
    assertThat(rows).hasSizeGreaterThan(30);
    for (String[] row : rows) {
      double x = Double.parseDouble(row[0]);
      double expected = Double.parseDouble(row[1]);
      double actual = LogMath.logErfc(x);
      // an absolute error e in log(erfc) is a relative error e in erfc: ask for 2e-15 relative in erfc,
      // and for the log itself to 1e-15 relative where it is large (x^2 carries the rounding of x)
      double tolerance = Math.max(2e-15, 1e-15 * Math.abs(expected));
      assertThat(actual).as("log erfc(%s)", x).isCloseTo(expected, within(tolerance));
    }
  }

  @Test
  void logErfc_isFinitePastWhereErfcUnderflows() {
    assertThat(LogMath.logErfc(27.0)).isFinite().isLessThan(-700);
    assertThat(LogMath.logErfc(5000.0)).isFinite().isCloseTo(-25_000_000.0 - Math.log(5000 * Math.sqrt(Math.PI)),
        within(1e-6));
    assertThat(LogMath.logErfc(Double.POSITIVE_INFINITY)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(LogMath.logErfc(Double.NEGATIVE_INFINITY)).isEqualTo(Math.log(2));
  }

  @Test
  void logErfc_isContinuousAtCodysIntervalBoundaries() {
    for (double b : new double[] {-0.46875, 0.46875, 4.0, 6.71e7}) {
      double below = LogMath.logErfc(Math.nextDown(b));
      double above = LogMath.logErfc(Math.nextUp(b));
      assertThat(above).as("at %s", b).isCloseTo(below, within(1e-14 * Math.max(1, Math.abs(below))));
    }
  }

  @Test
  void logAdd_handlesInfinitiesAndMagnitudes() {
    assertThat(LogMath.logAdd(Double.NEGATIVE_INFINITY, 3.0)).isEqualTo(3.0);
    assertThat(LogMath.logAdd(2.0, Double.NEGATIVE_INFINITY)).isEqualTo(2.0);
    assertThat(LogMath.logAdd(1000.0, 1000.0)).isCloseTo(1000.0 + Math.log(2), within(1e-12));
    assertThat(LogMath.logAdd(Math.log(2), Math.log(3))).isCloseTo(Math.log(5), within(1e-15));
  }

  @Test
  void log1pExpAndLogExpm1_areAccurateAtBothEnds() {
    assertThat(LogMath.log1pExp(-50)).isCloseTo(Math.exp(-50), within(1e-30));
    assertThat(LogMath.log1pExp(800)).isEqualTo(800.0);
    assertThat(LogMath.logExpm1(1e-10)).isCloseTo(Math.log(1e-10), within(1e-9));
    assertThat(LogMath.logExpm1(800)).isEqualTo(800.0);
    assertThat(LogMath.logExpm1(0.0)).isEqualTo(Double.NEGATIVE_INFINITY);
  }
}
