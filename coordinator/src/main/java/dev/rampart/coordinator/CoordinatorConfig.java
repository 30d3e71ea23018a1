package dev.rampart.coordinator;

import dev.rampart.coordinator.rpc.RpcServer;
import dev.rampart.coordinator.tee.Attester;
import dev.rampart.coordinator.tee.ConfigfsTsmAttester;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * How to start a coordinator. Immutable; build with {@link #builder}.
 *
 * @param tee "simulated", "sev-snp" or "tdx"
 * @param measurement 48 bytes: the SHA-384 of the coordinator's runnable artifact ({@code rampart measure}), which
 *     the simulated TEE reports as the measurement; a real TEE reports its own (the boot takes what the evidence
 *     states)
 * @param adminCertificate the first admin's cert.pem, or null (then only an existing journal's admins)
 * @param sealingKeyFile real TEEs: the sealing key file a key broker provided; null for simulation
 * @param simulatedAttester simulated TEE only, or null: evidence from this attester instead of the state
 *     directory's simulated TEE (embedders and tests, e.g. one that reports the debug bit)
 * @param tsmKernel real TEEs, tests only: the kernel side of a fake configfs-tsm tree at {@code tsmRoot}, or null
 *     for the real configfs
 * @param tdxCollateral TDX: the collateral file the operator keeps fresh (TCB info, QE identity, CRLs, in
 *     dcap-qvl's JSON), carried in every evidence bundle; null otherwise
 * @param snpCerts SEV-SNP: a directory with the chip's VCEK or VLEK, for hosts that provide no certificate
 *     table; null otherwise
 * @param snpGuestDevice SEV-SNP without a sealing-key file: the guest driver's device the sealing key is derived
 *     through ({@code /dev/sev-guest}; tests point it elsewhere)
 * @param jobThreads training jobs run at once (each uses every core through BLAS; 1 by default)
 */
public record CoordinatorConfig(Path stateDir, String host, int port, String tee, byte[] measurement,
    Path adminCertificate, Path sealingKeyFile, Path tsmRoot, Attester simulatedAttester, RpcServer.Limits limits,
    Clock clock, int jobThreads, ConfigfsTsmAttester.KernelSide tsmKernel, Path tdxCollateral, Path snpCerts,
    Path snpGuestDevice) {

  public CoordinatorConfig {
    Objects.requireNonNull(stateDir, "stateDir");
    if (!tee.equals("simulated") && !tee.equals("sev-snp") && !tee.equals("tdx")) {
      throw new IllegalArgumentException("--tee must be simulated, sev-snp or tdx, got '" + tee + "'");
    }
    if (measurement == null || measurement.length != 48) {
      throw new IllegalArgumentException("a measurement is 48 bytes (SHA-384)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535 (0: any free port)");
    }
    if (simulatedAttester != null && !tee.equals("simulated")) {
      throw new IllegalArgumentException("an attester can replace only the simulated TEE's");
    }
    if (tdxCollateral != null && !tee.equals("tdx")) {
      throw new IllegalArgumentException("--tdx-collateral is for --tee tdx");
    }
    if (snpCerts != null && !tee.equals("sev-snp")) {
      throw new IllegalArgumentException("--snp-certs is for --tee sev-snp");
    }
    if (jobThreads < 1 || jobThreads > 64) {
      throw new IllegalArgumentException("jobThreads must be 1-64");
    }
    measurement = measurement.clone();
  }

  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  public static Builder builder(Path stateDir, byte[] measurement) {
    return new Builder(stateDir, measurement);
  }

  /** Fluent construction with sensible defaults: 127.0.0.1, any free port, simulated TEE. */
  public static final class Builder {
    private final Path stateDir;
    private final byte[] measurement;
    private String host = "127.0.0.1";
    private int port = 0;
    private String tee = "simulated";
    private Path adminCertificate;
    private Path sealingKeyFile;
    private Path tsmRoot = ConfigfsTsmAttester.DEFAULT_ROOT;
    private Attester simulatedAttester;
    private RpcServer.Limits limits = RpcServer.Limits.defaults();
    private Clock clock = Clock.systemUTC();
    private int jobThreads = 1;
    private ConfigfsTsmAttester.KernelSide tsmKernel;
    private Path tdxCollateral;
    private Path snpCerts;
    private Path snpGuestDevice = dev.rampart.coordinator.tee.SnpDerivedKey.DEVICE;

    private Builder(Path stateDir, byte[] measurement) {
      this.stateDir = stateDir;
      this.measurement = measurement;
    }

    public Builder listen(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    public Builder tee(String tee) {
      this.tee = tee;
      return this;
    }

    public Builder adminCertificate(Path cert) {
      this.adminCertificate = cert;
      return this;
    }

    public Builder sealingKeyFile(Path file) {
      this.sealingKeyFile = file;
      return this;
    }

    public Builder tsmRoot(Path root) {
      this.tsmRoot = root;
      return this;
    }

    /** Simulated TEE only: evidence from {@code attester} (embedders and tests). */
    public Builder simulatedAttester(Attester attester) {
      this.simulatedAttester = attester;
      return this;
    }

    /** Real TEEs, tests only: a fake configfs-tsm tree's kernel side (see {@link ConfigfsTsmAttester}). */
    public Builder tsmKernel(ConfigfsTsmAttester.KernelSide kernel) {
      this.tsmKernel = kernel;
      return this;
    }

    /** TDX: the collateral file the operator keeps fresh (see {@link ConfigfsTsmAttester}). */
    public Builder tdxCollateral(Path file) {
      this.tdxCollateral = file;
      return this;
    }

    /** SEV-SNP: the VCEK/VLEK directory for hosts that provide no certificate table. */
    public Builder snpCerts(Path dir) {
      this.snpCerts = dir;
      return this;
    }

    /** SEV-SNP: the guest driver's device for the derived sealing key (default /dev/sev-guest). */
    public Builder snpGuestDevice(Path device) {
      this.snpGuestDevice = device;
      return this;
    }

    public Builder limits(RpcServer.Limits limits) {
      this.limits = limits;
      return this;
    }

    public Builder jobThreads(int threads) {
      this.jobThreads = threads;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public CoordinatorConfig build() {
      return new CoordinatorConfig(stateDir, host, port, tee, measurement, adminCertificate, sealingKeyFile, tsmRoot,
          simulatedAttester, limits, clock, jobThreads, tsmKernel, tdxCollateral, snpCerts, snpGuestDevice);
    }
  }
}
