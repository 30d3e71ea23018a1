package dev.rampart.accountant;

/**
 * An (ε, δ)-DP guarantee and the Rényi order it came from.
 *
 * @param epsilon ε ≥ 0; {@code Infinity} when no order bounds the loss (e.g. σ = 0)
 * @param delta δ in (0, 1)
 * @param order the optimal order; {@code NaN} when no order was needed (no privacy loss at all, ε = 0) or
 *     none bounds the loss
 * @param atGridEdge the optimal order is the smallest or largest of the grid, so a wider grid might give a
 *     smaller ε
 */
public record PrivacyGuarantee(double epsilon, double delta, double order, boolean atGridEdge) {}
