package dev.rampart.accountant.analysis;

import java.util.function.DoubleUnaryOperator;

/**
 * Test oracle: adaptive Gauss-Legendre quadrature (nodes found by Newton's method on the Legendre
 * polynomial, so no tabulated constants), refining each panel until a panel and its two halves agree.
 */
final class Quadrature {
  private static final int POINTS = 20;
  private static final double[] NODES = new double[POINTS];
  private static final double[] WEIGHTS = new double[POINTS];

  static {
    for (int i = 0; i < POINTS; i++) {
      double x = Math.cos(Math.PI * (i + 0.75) / (POINTS + 0.5));
      double derivative = 0;
      for (int iteration = 0; iteration < 100; iteration++) {
        double p0 = 1;
        double p1 = x;
        for (int n = 2; n <= POINTS; n++) {
          double p2 = ((2 * n - 1) * x * p1 - (n - 1) * p0) / n;
          p0 = p1;
          p1 = p2;
        }
        derivative = POINTS * (x * p1 - p0) / (x * x - 1);
        double dx = p1 / derivative;
        x -= dx;
        if (Math.abs(dx) < 1e-17) {
          break;
        }
      }
      NODES[i] = x;
      WEIGHTS[i] = 2 / ((1 - x * x) * derivative * derivative);
    }
  }

  private Quadrature() {}

  static double panel(DoubleUnaryOperator f, double a, double b) {
    double mid = 0.5 * (a + b);
    double half = 0.5 * (b - a);
    double sum = 0;
    for (int i = 0; i < POINTS; i++) {
      sum += WEIGHTS[i] * f.applyAsDouble(mid + half * NODES[i]);
    }
    return sum * half;
  }

  /** The integral over consecutive breakpoints, each piece refined to {@code relativeTolerance}. */
  static double integrate(DoubleUnaryOperator f, double relativeTolerance, double... breakpoints) {
    double rough = 0;
    for (int k = 0; k + 1 < breakpoints.length; k++) {
      rough += Math.abs(panel(f, breakpoints[k], breakpoints[k + 1]));
    }
    double absoluteTolerance = relativeTolerance * rough;
    double total = 0;
    for (int k = 0; k + 1 < breakpoints.length; k++) {
      total += adapt(f, breakpoints[k], breakpoints[k + 1], panel(f, breakpoints[k], breakpoints[k + 1]),
          absoluteTolerance, 0);
    }
    return total;
  }

  private static double adapt(DoubleUnaryOperator f, double a, double b, double whole, double tol, int depth) {
    double m = 0.5 * (a + b);
    double left = panel(f, a, m);
    double right = panel(f, m, b);
    double diff = Math.abs(left + right - whole);
    // converged, or down to the rounding noise of the panel itself
    if (diff <= tol || diff <= 1e-15 * (Math.abs(left) + Math.abs(right)) || depth >= 30) {
      return left + right;
    }
    return adapt(f, a, m, left, tol, depth + 1) + adapt(f, m, b, right, tol, depth + 1);
  }
}
