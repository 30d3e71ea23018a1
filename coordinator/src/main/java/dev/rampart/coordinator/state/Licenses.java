package dev.rampart.coordinator.state;

import dev.rampart.coordinator.ServiceException;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.MetricsRelease;
import dev.rampart.protocol.v1.WeightRelease;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Validation of owners' licenses and the intersection that governs anything derived from several datasets. */
public final class Licenses {
  /** The largest ε a license may grant: beyond it DP promises nothing a hospital would sign. */
  public static final double MAX_EPSILON = 100.0;
  public static final double MAX_DELTA = 1e-3;
  /** Per list: keeps a license (journaled with every change) small. */
  public static final int MAX_NAMES = 256;

  private Licenses() {}

  /** Checks a license an owner sets; the message says which field is wrong and what is allowed. */
  public static License validate(License l, long nowMillis) throws ServiceException {
    if (!(l.getEpsilon() > 0) || !Double.isFinite(l.getEpsilon()) || l.getEpsilon() > MAX_EPSILON) {
      throw ServiceException.invalid("license epsilon must be in (0, " + MAX_EPSILON + "], got " + l.getEpsilon());
    }
    if (!(l.getDelta() > 0) || l.getDelta() > MAX_DELTA) {
      throw ServiceException.invalid("license delta must be in (0, " + MAX_DELTA + "], got " + l.getDelta()
          + " (use at most 1/(number of rows); 1e-5 is usual)");
    }
    for (List<String> names : List.of(l.getListersList(), l.getTrainersList(), l.getEvaluatorsList(),
        l.getReleaseToList())) {
      if (names.size() > MAX_NAMES) {
        throw ServiceException.invalid("a license names at most " + MAX_NAMES + " principals per list");
      }
      for (String n : names) {
        if (!KeyIdentity.validName(n)) {
          throw ServiceException.invalid("license names principals by name (a-z 0-9 . _ -), got '" + n + "'");
        }
      }
    }
    WeightRelease w = weightRelease(l);
    if ((w == WeightRelease.TO_NAMED || w == WeightRelease.AFTER_OWNER_APPROVAL) && l.getReleaseToCount() == 0) {
      throw ServiceException.invalid("weight_release " + w + " needs release_to (the scientists who may receive"
          + " weights); to release to nobody use NEVER");
    }
    if (w == WeightRelease.UNRECOGNIZED || l.getMetricsRelease() == MetricsRelease.UNRECOGNIZED) {
      throw ServiceException.invalid("unknown weight_release or metrics_release value");
    }
    if (l.getExpiresAtMillis() < 0 || (l.getExpiresAtMillis() != 0 && l.getExpiresAtMillis() <= nowMillis)) {
      throw ServiceException.invalid("license expires_at_millis is in the past; use 0 for no expiry");
    }
    return l.toBuilder().setWeightRelease(w).setMetricsRelease(metricsRelease(l)).build();
  }

  public static WeightRelease weightRelease(License l) {
    return l.getWeightRelease() == WeightRelease.WEIGHT_RELEASE_UNSPECIFIED ? WeightRelease.NEVER : l.getWeightRelease();
  }

  public static MetricsRelease metricsRelease(License l) {
    return l.getMetricsRelease() == MetricsRelease.METRICS_RELEASE_UNSPECIFIED ? MetricsRelease.DP_ONLY
        : l.getMetricsRelease();
  }

  public static boolean expired(License l, long nowMillis) {
    return l.getExpiresAtMillis() != 0 && l.getExpiresAtMillis() <= nowMillis;
  }

  /**
   * The license of something derived from several datasets: every permission is the intersection, every
   * requirement the union, the weight release the strictest (NEVER, then AFTER_OWNER_APPROVAL, then TO_NAMED),
   * the expiry the earliest. ε and δ stay per dataset (each dataset's ledger); here the smallest of each, for
   * display only.
   */
  public static License intersect(List<License> licenses) {
    if (licenses.isEmpty()) {
      throw new IllegalArgumentException("no licenses to intersect");
    }
    License first = licenses.get(0);
    Set<String> listers = new LinkedHashSet<>(first.getListersList());
    Set<String> trainers = new LinkedHashSet<>(first.getTrainersList());
    Set<String> evaluators = new LinkedHashSet<>(first.getEvaluatorsList());
    Set<String> releaseTo = new LinkedHashSet<>(first.getReleaseToList());
    boolean dp = false;
    double eps = Double.POSITIVE_INFINITY;
    double delta = Double.POSITIVE_INFINITY;
    int strictest = 0;
    boolean exact = true;
    long expiry = 0;
    for (License l : licenses) {
      listers.retainAll(l.getListersList());
      trainers.retainAll(l.getTrainersList());
      evaluators.retainAll(l.getEvaluatorsList());
      releaseTo.retainAll(l.getReleaseToList());
      dp |= l.getDpRequired();
      eps = Math.min(eps, l.getEpsilon());
      delta = Math.min(delta, l.getDelta());
      strictest = Math.max(strictest, strictness(weightRelease(l)));
      exact &= metricsRelease(l) == MetricsRelease.EXACT;
      if (l.getExpiresAtMillis() != 0) {
        expiry = expiry == 0 ? l.getExpiresAtMillis() : Math.min(expiry, l.getExpiresAtMillis());
      }
    }
    WeightRelease w = switch (strictest) {
      case 0 -> WeightRelease.TO_NAMED;
      case 1 -> WeightRelease.AFTER_OWNER_APPROVAL;
      default -> WeightRelease.NEVER;
    };
    return License.newBuilder().addAllListers(listers).addAllTrainers(trainers).addAllEvaluators(evaluators)
        .addAllReleaseTo(w == WeightRelease.NEVER ? List.of() : new ArrayList<>(releaseTo)).setDpRequired(dp)
        .setEpsilon(eps).setDelta(delta).setWeightRelease(w)
        .setMetricsRelease(exact ? MetricsRelease.EXACT : MetricsRelease.DP_ONLY).setExpiresAtMillis(expiry).build();
  }

  private static int strictness(WeightRelease w) {
    return switch (w) {
      case TO_NAMED -> 0;
      case AFTER_OWNER_APPROVAL -> 1;
      default -> 2;
    };
  }
}
