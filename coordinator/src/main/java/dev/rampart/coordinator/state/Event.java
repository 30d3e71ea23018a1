package dev.rampart.coordinator.state;

import dev.rampart.accountant.Segment;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Role;
import java.util.List;
import java.util.Objects;

/**
 * A journal entry that changes the coordinator's state: one record per entry type, written by {@link EventCodec}
 * and applied by {@link CoordinatorState#apply}, the same way at boot (replaying the journal) and at run time (right
 * after the entry is appended). Nothing else changes the state, so the journal is its single source of truth.
 */
public sealed interface Event {
  /** The journal entry type. */
  String type();

  /** Privacy spending: the datasets a mechanism touched, and its (q, σ, steps). */
  record Charge(String job, List<String> datasetIds, double sampleRate, double noiseMultiplier, long steps) {
    public Charge {
      datasetIds = List.copyOf(datasetIds);
      if (datasetIds.isEmpty() || steps < 1) {
        throw new IllegalArgumentException("a charge needs a dataset and at least one step");
      }
    }

    public Segment segment() {
      return new Segment(sampleRate, noiseMultiplier, steps);
    }
  }

  /** An event that spends privacy: {@link CoordinatorState#apply} adds its charge to the ledger. */
  sealed interface Charging extends Event {
    Charge charge();
  }

  /** A principal enrolled; {@code by} is empty for the admin enrolled from the command line at boot. */
  record PrincipalEnrolled(String fingerprint, Role role, String name, String by) implements Event {
    public String type() {
      return "principal.enrolled";
    }
  }

  record PrincipalRevoked(String fingerprint, String by) implements Event {
    public String type() {
      return "principal.revoked";
    }
  }

  record DatasetStored(DatasetManifest manifest, String owner, License license) implements Event {
    public String type() {
      return "dataset.stored";
    }
  }

  record LicenseSet(String datasetId, License license) implements Event {
    public String type() {
      return "license.set";
    }
  }

  record ApprovalRequested(String id, String kind, String subject, String requester, String requesterName,
      List<String> datasetIds, List<String> pendingOwners) implements Event {
    public ApprovalRequested {
      datasetIds = List.copyOf(datasetIds);
      pendingOwners = List.copyOf(pendingOwners);
    }

    public String type() {
      return "approval.requested";
    }
  }

  record ApprovalDecided(String id, String owner, String ownerName, boolean approve, String reason)
      implements Event {
    public String type() {
      return "approval.decided";
    }
  }

  record JobSubmitted(String id, String scientist, String scientistName, String modelSha256, long totalSteps,
      double sampleRate, double noiseMultiplier, JobSpec spec) implements Event {
    public String type() {
      return "job.submitted";
    }
  }

  record JobStarted(String job, long fromStep) implements Event {
    public String type() {
      return "job.started";
    }
  }

  /**
   * Training steps charged before they are taken ({@code train}), or charged again because a sealed checkpoint holds
   * more steps than the journal charged ({@code recovered}, with what the checkpoint and the journal held).
   */
  record PrivacyCharged(Charge charge, String purpose, Long checkpointStep, Long journalCharged)
      implements Charging {
    public static final String TRAIN = "train";
    public static final String RECOVERED = "recovered";

    public PrivacyCharged {
      Objects.requireNonNull(charge, "charge");
      if (!purpose.equals(TRAIN) && !purpose.equals(RECOVERED)) {
        throw new IllegalArgumentException("a charge's purpose is train or recovered, not " + purpose);
      }
    }

    public String type() {
      return "privacy.charged";
    }
  }

  /** A DP loss and accuracy released to the scientist, with its one step of charge. */
  record JobMetrics(Charge charge, long step, double loss, double accuracy) implements Charging {
    public String type() {
      return "job.metrics";
    }
  }

  record JobCheckpointed(String job, long step) implements Event {
    public String type() {
      return "job.checkpointed";
    }
  }

  record JobCancelRequested(String job, String by) implements Event {
    public String type() {
      return "job.cancel-requested";
    }
  }

  record JobFinished(String job, JobState state, String message, long step) implements Event {
    public String type() {
      return "job.finished";
    }
  }

  record ModelReleased(String job, String to, String toName, String approval, String modelSha256, long bytes)
      implements Event {
    public String type() {
      return "model.released";
    }
  }

  /** A DP evaluation of a job's model on one dataset, released to the scientist with its charge. */
  record JobEvaluated(Charge charge, String datasetId, double accuracy, double noiseStddev, double epsilon)
      implements Charging {
    public String type() {
      return "job.evaluated";
    }
  }
}
