package dev.rampart.accountant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rampart.accountant.analysis.SampledGaussianRdp;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Against an independent implementation: mpmath at 50 digits, RDP by numerical integration of the defining
 * expectation for fractional orders and the exact binomial sum for integer ones
 * ({@code src/test/reference/rdp_reference.py}, which cross-checks itself against the paper's series).
 * The grid: q in [0.001, 1], σ in [0.5, 4], steps 1 to 100,000, δ in {1e-5, 1e-6}, both conversions; it
 * includes optima at both edges of the order grid.
 */
class ReferenceVectorsTest {

  @Test
  void rdp_matchesMpmathTo1e11Relative() throws IOException {
    List<String[]> rows = ReferenceData.rows("/reference/rdp-reference.tsv");
    assertThat(rows).hasSizeGreaterThanOrEqualTo(60 * 151);
    double worst = 0;
    String worstRow = "";
    for (String[] row : rows) {
      double q = Double.parseDouble(row[0]);
      double sigma = Double.parseDouble(row[1]);
      double alpha = Double.parseDouble(row[2]);
      double expected = Double.parseDouble(row[3]);
      double actual = SampledGaussianRdp.rdp(q, sigma, alpha);
      double relative = Math.abs(actual - expected) / expected;
      if (!(relative <= worst)) {
        worst = relative;
        worstRow = String.join(" ", row) + " got " + actual;
      }
    }
    System.out.printf("rdp vs mpmath: %d values, worst relative error %.3g (%s)%n", rows.size(), worst, worstRow);
    assertThat(worst).as(worstRow).isLessThanOrEqualTo(1e-11);
  }

  @Test
  void epsilon_matchesMpmathTo1e9Relative() throws IOException {
    List<String[]> rows = ReferenceData.rows("/reference/epsilon-reference.tsv");
    assertThat(rows).hasSizeGreaterThanOrEqualTo(1440);
    RdpAccountant improved = RdpAccountant.defaults();
    RdpAccountant classic = RdpAccountant.of(Orders.defaults(), Conversion.CLASSIC);
    double worst = 0;
    String worstRow = "";
    int atLowEdge = 0;
    int atHighEdge = 0;
    for (String[] row : rows) {
      double q = Double.parseDouble(row[0]);
      double sigma = Double.parseDouble(row[1]);
      long steps = Long.parseLong(row[2]);
      double delta = Double.parseDouble(row[3]);
      RdpAccountant accountant = Conversion.fromId(row[4]) == Conversion.CLASSIC ? classic : improved;
      double expected = Math.max(0, Double.parseDouble(row[5]));
      PrivacyGuarantee g = accountant.epsilon(q, sigma, steps, delta);
      double relative = Math.abs(g.epsilon() - expected) / expected;
      if (!(relative <= worst)) {
        worst = relative;
        worstRow = String.join(" ", row) + " got " + g.epsilon();
      }
      atLowEdge += g.order() == 1.1 ? 1 : 0;
      atHighEdge += g.order() == 63.0 ? 1 : 0;
    }
    System.out.printf("epsilon vs mpmath: %d values, worst relative error %.3g (%s); optimum at 1.1: %d, at 63: %d%n",
        rows.size(), worst, worstRow, atLowEdge, atHighEdge);
    assertThat(worst).as(worstRow).isLessThanOrEqualTo(1e-9);
    assertThat(atLowEdge).as("cases with the optimum at the low edge").isPositive();
    assertThat(atHighEdge).as("cases with the optimum at the high edge").isPositive();
  }
}
