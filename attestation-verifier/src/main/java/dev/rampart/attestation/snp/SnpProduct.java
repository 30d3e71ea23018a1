package dev.rampart.attestation.snp;

/** AMD EPYC generations with SEV-SNP, each with its own root key (ARK) and TCB layout. */
public enum SnpProduct {
  MILAN("Milan", "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"),
  GENOA("Genoa", "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"),
  TURIN("Turin", "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a");

  private final String displayName;
  private final String arkSha256;

  SnpProduct(String displayName, String arkSha256) {
    this.displayName = displayName;
    this.arkSha256 = arkSha256;
  }

  public String displayName() {
    return displayName;
  }

  /** SHA-256 of the DER of this product's AMD Root Key certificate: the pin. */
  public String arkSha256() {
    return arkSha256;
  }

  /** The product from the report's CPUID family and model (v3+ reports), or null if unknown. */
  static SnpProduct fromCpuid(int family, int model) {
    if (family == 0x19) {
      if (model <= 0x0F) {
        return MILAN;
      }
      if (model >= 0x10 && model <= 0x1F || model >= 0xA0 && model <= 0xAF) {
        return GENOA;
      }
    }
    if (family == 0x1A && model <= 0x1F) {
      return TURIN;
    }
    return null;
  }

  /** Turin moved the TCB fields: FMC, boot loader, TEE, SNP, then microcode in the top byte. */
  boolean turinTcbLayout() {
    return this == TURIN;
  }
}
