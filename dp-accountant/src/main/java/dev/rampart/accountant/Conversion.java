package dev.rampart.accountant;

/** How an RDP curve becomes an (ε, δ) guarantee. */
public enum Conversion {
  /**
   * Balle, Barthe, Gaboardi, Hsu and Sato, "Hypothesis Testing Interpretations and Renyi Differential
   * Privacy" (AISTATS 2020), Theorem 21:
   * {@code ε = rdp(α) + log((α-1)/α) - (log δ + log α) / (α-1)}. Always at least as tight as
   * {@link #CLASSIC}; the default.
   */
  IMPROVED,
  /**
   * Mironov, "Rényi Differential Privacy" (CSF 2017), Proposition 3: {@code ε = rdp(α) - log δ / (α-1)}.
   * Looser; kept to compare with older published numbers (TF Privacy before 2021).
   */
  CLASSIC;

  /** ε at one order for an RDP value {@code rdp}; may be negative or infinite, callers clamp. */
  double epsilonAt(double alpha, double rdp, double logDelta) {
    return switch (this) {
      case IMPROVED -> rdp + Math.log1p(-1.0 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1.0);
      case CLASSIC -> rdp - logDelta / (alpha - 1.0);
    };
  }

  /** The name used on command lines and in saved state: {@code improved} or {@code classic}. */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@link #id()}. */
  public static Conversion fromId(String id) {
    for (Conversion c : values()) {
      if (c.id().equals(id)) {
        return c;
      }
    }
    throw new IllegalArgumentException("conversion must be 'improved' or 'classic', got '" + id + "'");
  }
}
