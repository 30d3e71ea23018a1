package dev.rampart.coordinator.tee;

/**
 * Evidence and what vouches for it, as sent to callers and recorded in boot journal entries.
 *
 * @param evidence the report / quote
 * @param endorsementKey SNP: VCEK/VLEK certificate, or null
 * @param chain SNP: intermediate + root PEM, or null
 * @param collateral TDX: collateral JSON, or null
 */
public record AttestationBundle(String platform, byte[] evidence, byte[] endorsementKey, byte[] chain,
    byte[] collateral) {}
