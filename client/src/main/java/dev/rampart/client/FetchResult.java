package dev.rampart.client;

import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.License;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link RampartClient#fetchModel} got: either the released weights, written and verified, or the
 * approval request that must be decided first (no file is written then).
 *
 * @param released whether the weights were released and written to {@code file}
 * @param file the model file, complete and matching its SHA-256; null when not released
 * @param bytes the file's size; 0 when not released
 * @param sha256 the file's SHA-256, lower-case hex, as the coordinator declared and this client checked; null
 *     when not released
 * @param approval when not released: the weight-release request (who has yet to decide, who denied and why);
 *     null when released, or when the coordinator sent none
 * @param license the intersection of the datasets' licenses that governs these weights
 */
public record FetchResult(boolean released, Path file, long bytes, String sha256, ApprovalRequest approval,
    License license) {

  public FetchResult {
    Objects.requireNonNull(license, "license");
    if (released) {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(sha256, "sha256");
      if (approval != null) {
        throw new IllegalArgumentException("released weights come without a pending approval");
      }
    } else if (file != null || sha256 != null || bytes != 0) {
      throw new IllegalArgumentException("weights that were not released have no file");
    }
  }

  /** Released weights, written to {@code file}. */
  public static FetchResult released(Path file, long bytes, String sha256, License license) {
    return new FetchResult(true, file, bytes, sha256, null, license);
  }

  /** Weights held back until {@code approval} (may be null) is decided. */
  public static FetchResult notReleased(ApprovalRequest approval, License license) {
    return new FetchResult(false, null, 0, null, approval, license);
  }

  /**
   * The names of the data owners who have not decided yet (empty when released or when nothing is pending).
   * Falls back to the owners' fingerprints for a coordinator that does not send names.
   */
  public List<String> pendingOwnerNames() {
    if (approval == null || approval.getState() != ApprovalState.PENDING) {
      return List.of();
    }
    if (approval.getPendingOwnerNamesCount() > 0) {
      return List.copyOf(approval.getPendingOwnerNamesList());
    }
    return List.copyOf(approval.getPendingOwnersList());
  }

  /** Whether an owner denied the release (one denial denies it for good). */
  public boolean denied() {
    return approval != null && approval.getState() == ApprovalState.DENIED;
  }

  /** The owners' decisions that denied the release, with their reasons. */
  public List<ApprovalDecision> denials() {
    if (approval == null) {
      return List.of();
    }
    List<ApprovalDecision> denials = new ArrayList<>();
    for (ApprovalDecision d : approval.getDecisionsList()) {
      if (!d.getApprove()) {
        denials.add(d);
      }
    }
    return List.copyOf(denials);
  }
}
