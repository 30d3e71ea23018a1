package dev.rampart.attestation;

/**
 * What vouches for the evidence, as supplied by the caller; any may be null.
 *
 * @param endorsementKey SNP: the VCEK or VLEK certificate (DER or PEM)
 * @param chain SNP: the ASK (or ASVK) then the ARK, PEM; null means AMD's built-in chains
 * @param collateral TDX: the JSON collateral (TCB info, QE identity, CRLs)
 */
public record Endorsements(byte[] endorsementKey, byte[] chain, byte[] collateral) {
  public static final Endorsements NONE = new Endorsements(null, null, null);
}
