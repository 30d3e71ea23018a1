package dev.rampart.trainer;

/**
 * Standard normal samples from a {@link CryptoRandom}, by the ziggurat method with 53-bit uniforms (Marsaglia
 * and Tsang 2000, as refined by Doornik 2005: the sample is {@code u · x_i} with u a full-precision double, not
 * a 32-bit integer, so samples are not confined to a coarse lattice).
 *
 * <p>Secure mode (the default for training) hardens against the floating-point attack on Gaussian noise
 * (Mironov 2012; Jin et al. 2022, "Are we there yet? Timing and floating-point attacks on differential
 * privacy systems"): like Opacus's secure mode, each noise value is the sum of four independent samples
 * divided by two, which has the same N(0, 1) distribution but no exploitable gaps in its floating-point
 * support.
 */
public final class GaussianNoise {
  private static final int LAYERS = 128;
  private static final double R = 3.442619855899;
  private static final double V = 9.91256303526217e-3;
  private static final double[] X = new double[LAYERS + 1];
  private static final double[] RATIO = new double[LAYERS];

  static {
    double f = Math.exp(-0.5 * R * R);
    X[0] = V / f; // the base strip's width: area V over the tail's density
    X[1] = R;
    X[LAYERS] = 0;
    for (int i = 2; i < LAYERS; i++) {
      X[i] = Math.sqrt(-2 * Math.log(V / X[i - 1] + f));
      f = Math.exp(-0.5 * X[i] * X[i]);
    }
    for (int i = 0; i < LAYERS; i++) {
      RATIO[i] = X[i + 1] / X[i];
    }
  }

  private final CryptoRandom random;
  private final boolean secure;

  public GaussianNoise(CryptoRandom random, boolean secure) {
    this.random = random;
    this.secure = secure;
  }

  public boolean secure() {
    return secure;
  }

  /** One N(0, 1) sample (secure mode: the sum of four, halved). */
  public double next() {
    if (!secure) {
      return standard();
    }
    return 0.5 * (standard() + standard() + standard() + standard());
  }

  /** Adds N(0, std²) noise to every element of {@code values}, in place. */
  public void addTo(float[] values, double std) {
    for (int i = 0; i < values.length; i++) {
      values[i] += (float) (std * next());
    }
  }

  private double standard() {
    while (true) {
      long bits = random.nextLong();
      int layer = (int) (bits & (LAYERS - 1));
      double u = 2.0 * ((bits >>> 11) * 0x1.0p-53) - 1.0; // uniform in [-1, 1), 53 bits
      if (Math.abs(u) < RATIO[layer]) {
        return u * X[layer];
      }
      if (layer == 0) {
        return tail(u < 0);
      }
      double x = u * X[layer];
      double f0 = Math.exp(-0.5 * (X[layer] * X[layer] - x * x));
      double f1 = Math.exp(-0.5 * (X[layer + 1] * X[layer + 1] - x * x));
      if (f1 + random.nextDouble() * (f0 - f1) < 1.0) {
        return x;
      }
    }
  }

  /** Marsaglia's method for the tail beyond R. */
  private double tail(boolean negative) {
    double x;
    double y;
    do {
      x = Math.log(random.nextDoubleOpenZero()) / R;
      y = Math.log(random.nextDoubleOpenZero());
    } while (-2 * y < x * x);
    return negative ? x - R : R - x;
  }
}
