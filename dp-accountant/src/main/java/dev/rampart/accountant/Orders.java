package dev.rampart.accountant;

import dev.rampart.accountant.analysis.SampledGaussianRdp;
import java.util.Arrays;

/**
 * The grid of Rényi orders α at which an accountant tracks privacy loss: strictly increasing, each a finite
 * number above 1. Immutable.
 */
public final class Orders {
  /** Orders above this are refused: the binomial sum has α terms per step. */
  public static final double MAX_ORDER = SampledGaussianRdp.MAX_ORDER;

  private static final Orders DEFAULT = new Orders(defaultGrid());

  private final double[] alphas;

  private Orders(double[] alphas) {
    this.alphas = alphas;
  }

  /**
   * The usual grid (TF Privacy, Opacus): 1.1, 1.2, …, 10.9, each computed as {@code 1 + x / 10.0}, then the
   * integers 12, 13, …, 63.
   */
  public static Orders defaults() {
    return DEFAULT;
  }

  /**
   * A custom grid.
   *
   * @throws IllegalArgumentException if it is empty, not strictly increasing, or has an order that is not a
   *     finite number in (1, {@value #MAX_ORDER}]
   */
  public static Orders of(double... alphas) {
    if (alphas.length == 0) {
      throw new IllegalArgumentException("the order grid is empty");
    }
    double[] copy = alphas.clone();
    for (int k = 0; k < copy.length; k++) {
      double a = copy[k];
      if (!(a > 1.0 && a <= MAX_ORDER)) {
        throw new IllegalArgumentException(
            "RDP orders must be numbers in (1, " + MAX_ORDER + "], got " + a);
      }
      if (k > 0 && !(a > copy[k - 1])) {
        throw new IllegalArgumentException(
            "RDP orders must be strictly increasing, got " + copy[k - 1] + " then " + a);
      }
    }
    return new Orders(copy);
  }

  private static double[] defaultGrid() {
    double[] grid = new double[99 + 52];
    for (int x = 1; x <= 99; x++) {
      grid[x - 1] = 1 + x / 10.0;
    }
    for (int a = 12; a <= 63; a++) {
      grid[99 + a - 12] = a;
    }
    return grid;
  }

  public int size() {
    return alphas.length;
  }

  public double get(int index) {
    return alphas[index];
  }

  /** A copy of the grid. */
  public double[] toArray() {
    return alphas.clone();
  }

  public double smallest() {
    return alphas[0];
  }

  public double largest() {
    return alphas[alphas.length - 1];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Orders other && Arrays.equals(alphas, other.alphas);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(alphas);
  }

  @Override
  public String toString() {
    return alphas.length + " orders in [" + smallest() + ", " + largest() + "]";
  }
}
