package dev.rampart.attestation;

/** The checks a verification makes; a failure names the one that failed. */
public enum Check {
  /** The evidence could be parsed in the detected format. */
  FORMAT("format"),
  /** The policy accepts this platform. */
  PLATFORM("platform"),
  /** The certificate chain leads to a pinned vendor root (or the pinned simulated root). */
  CHAIN("chain"),
  /** Every certificate is inside its validity window at the verification time. */
  VALIDITY("validity"),
  /** The evidence is signed by the chain's leaf key. */
  SIGNATURE("signature"),
  /** The CPU product of the evidence matches the chain's. */
  PRODUCT("product"),
  /** The TCB the evidence reports matches its endorsement and the policy's minimum. */
  TCB("tcb"),
  /** The chip the evidence comes from is the one its endorsement key was issued to. */
  CHIP_ID("chip-id"),
  /** SEV-SNP: the report comes from a privileged enough VMPL. */
  VMPL("vmpl"),
  /** The guest or enclave is not debuggable (unless the policy allows it). */
  DEBUG("debug"),
  /** The measurement is one of the policy's reference values. */
  MEASUREMENT("measurement"),
  /** The report data binds the caller's nonce and the TLS key of this session. */
  BINDING("binding"),
  /** The evidence is recent enough. */
  FRESHNESS("freshness"),
  /** Simulated evidence is allowed by the policy, from the pinned simulated root. */
  SIMULATED("simulated");

  private final String id;

  Check(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }
}
