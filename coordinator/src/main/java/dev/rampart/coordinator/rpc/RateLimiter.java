package dev.rampart.coordinator.rpc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets per identity (or per remote address for callers without one): a caller may make
 * {@code burst} calls at once and {@code perSecond} calls a second on average, so that one party cannot starve
 * the others or the training jobs.
 */
final class RateLimiter {
  private final double perSecond;
  private final double burst;
  private final Map<String, double[]> buckets = new ConcurrentHashMap<>();
  private static final int MAX_BUCKETS = 10_000;

  RateLimiter(double perSecond, double burst) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Takes one token for {@code key}; false when the caller is over its rate. */
  boolean tryAcquire(String key, long nowNanos) {
    if (buckets.size() > MAX_BUCKETS) {
      // forget callers idle long enough to have a full bucket again: they lose nothing
      buckets.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          return (nowNanos - (long) e.getValue()[1]) / 1e9 * perSecond + e.getValue()[0] >= burst;
        }
      });
    }
    double[] b = buckets.computeIfAbsent(key, k -> new double[] {burst, nowNanos});
    synchronized (b) {
      double elapsed = (nowNanos - (long) b[1]) / 1e9;
      b[0] = Math.min(burst, b[0] + Math.max(0, elapsed) * perSecond);
      b[1] = nowNanos;
      if (b[0] >= 1) {
        b[0] -= 1;
        return true;
      }
      return false;
    }
  }
}
