package dev.rampart.accountant;

/**
 * The result of calibrating the noise to a target ε.
 *
 * @param noiseMultiplier the smallest σ found that meets the target (to the stated ε tolerance)
 * @param guarantee the guarantee at that σ: its ε is at most the target and at least target − tolerance
 */
public record NoiseCalibration(double noiseMultiplier, PrivacyGuarantee guarantee) {}
