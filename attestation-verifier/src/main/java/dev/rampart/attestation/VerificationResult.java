package dev.rampart.attestation;

import java.util.HexFormat;
import java.util.List;

/**
 * The outcome of verifying evidence: valid exactly when no check failed.
 *
 * @param platform what the evidence turned out to be ({@link Platform#SIMULATED} for simulated evidence)
 * @param insecure true for simulated evidence: nothing protects the data
 * @param measurement the launch measurement (SNP: MEASUREMENT; Nitro: PCR0; TDX: MRTD), empty if unparsed
 * @param reportData the report data (SNP: REPORT_DATA; Nitro: user_data; TDX: REPORTDATA), empty if absent
 * @param tcbStatus the TCB status where the platform defines one (TDX), else null
 * @param failures the checks that failed, in the order they were made
 * @param warnings things a person should know that did not fail verification
 */
public record VerificationResult(
    Platform platform,
    boolean insecure,
    byte[] measurement,
    byte[] reportData,
    String tcbStatus,
    List<Failure> failures,
    List<String> warnings) {

  public VerificationResult {
    measurement = measurement.clone();
    reportData = reportData.clone();
    failures = List.copyOf(failures);
    warnings = List.copyOf(warnings);
  }

  public boolean valid() {
    return failures.isEmpty();
  }

  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  @Override
  public byte[] reportData() {
    return reportData.clone();
  }

  /** Whether a check of this kind failed. */
  public boolean failed(Check check) {
    return failures.stream().anyMatch(f -> f.check() == check);
  }

  public String measurementHex() {
    return HexFormat.of().formatHex(measurement);
  }

  public String reportDataHex() {
    return HexFormat.of().formatHex(reportData);
  }
}
