package dev.rampart.benchmarks;

import dev.rampart.accountant.Conversion;
import dev.rampart.accountant.NoiseCalibration;
import dev.rampart.accountant.Orders;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.PrivacyHistory;
import dev.rampart.accountant.RdpAccountant;
import dev.rampart.accountant.Segment;
import dev.rampart.accountant.TargetUnreachableException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The accountant's costs that a job pays: ε of a 10-segment history (goals: ≤ 1 ms warm) and noise
 * calibration (goal: ≤ 50 ms). "Uncached" variants use a fresh accountant per call, so every RDP curve is
 * computed from scratch: the cost of the first query for new (q, σ).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AccountantBenchmark {
  private PrivacyHistory tenSegments;
  private RdpAccountant warm;

  @Setup
  public void setUp() {
    // a job whose expected batch and noise changed along the way: 10 distinct (q, σ)
    Segment[] segments = new Segment[10];
    for (int k = 0; k < 10; k++) {
      segments[k] = new Segment(0.002 + 0.002 * k, 0.8 + 0.1 * k, 1_000 + 100 * k);
    }
    tenSegments = PrivacyHistory.of(segments);
    warm = RdpAccountant.defaults();
    warm.epsilon(tenSegments, 1e-5);
  }

  private static RdpAccountant fresh() {
    return RdpAccountant.of(Orders.defaults(), Conversion.IMPROVED);
  }

  @Benchmark
  public PrivacyGuarantee epsilonTenSegmentsCached() {
    return warm.epsilon(tenSegments, 1e-5);
  }

  @Benchmark
  public PrivacyGuarantee epsilonTenSegmentsUncached() {
    return fresh().epsilon(tenSegments, 1e-5);
  }

  /** TF Privacy's MNIST setting: q = 256/60000, 60 epochs, target ε = 3 at δ = 1e-5. */
  @Benchmark
  public NoiseCalibration calibrateNoiseUncached() throws TargetUnreachableException {
    return fresh().calibrateNoise(256.0 / 60_000, 14_063, 3.0, 1e-5, 1e-3);
  }
}
