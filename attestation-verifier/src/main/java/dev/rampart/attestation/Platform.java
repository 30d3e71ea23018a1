package dev.rampart.attestation;

/** A kind of TEE evidence. */
public enum Platform {
  SEV_SNP("sev-snp"),
  NITRO("nitro"),
  TDX("tdx"),
  /** Real-format (SNP) evidence signed by a locally generated root: no security at all, for development. */
  SIMULATED("simulated");

  private final String id;

  Platform(String id) {
    this.id = id;
  }

  /** The name used in policies, on the command line and in results. */
  public String id() {
    return id;
  }

  /** Parses {@link #id()}. */
  public static Platform fromId(String id) {
    for (Platform p : values()) {
      if (p.id.equals(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown platform '" + id + "' (expected sev-snp, nitro, tdx or simulated)");
  }
}
