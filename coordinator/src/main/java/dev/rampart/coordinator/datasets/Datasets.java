package dev.rampart.coordinator.datasets;

import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/** Stored datasets as their owners and licensees see them, and licenses. */
public final class Datasets {
  private static final Logger LOG = Logger.getLogger(Datasets.class.getName());
  private final Recorder recorder;
  private final CoordinatorState state;
  private final Clock clock;

  public Datasets(Recorder recorder, Clock clock) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.clock = clock;
  }

  public ListDatasetsResponse listDatasets(Caller caller) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    ListDatasetsResponse.Builder b = ListDatasetsResponse.newBuilder();
    for (Dataset d : state.datasets()) {
      if (visible(caller, d)) {
        b.addDatasets(info(d, true));
      }
    }
    return b.build();
  }

  public DatasetInfo setLicense(Caller caller, SetLicenseRequest r) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.OWNER);
    License license = Licenses.validate(r.getLicense(), clock.millis());
    requireEnrolledScientists(license);
    synchronized (recorder.lock()) {
      Dataset d = state.dataset(r.getDatasetId()).orElseThrow(() -> ServiceException.notFound("no dataset "
          + r.getDatasetId()));
      if (!d.ownerFingerprint().equals(caller.fingerprint())) {
        throw ServiceException.denied("only the dataset's owner can change its license");
      }
      recorder.record(new Event.LicenseSet(d.id(), license), List.of(d.id(), caller.fingerprint()));
      LOG.info(caller.describe() + " set the license of dataset " + d.id().substring(0, 16) + "…");
      return info(state.dataset(d.id()).orElseThrow(), true);
    }
  }

  /** Whether the caller may see this dataset exists: its owner, an admin, or a scientist the license lists. */
  public boolean visible(Caller caller, Dataset d) {
    Principal p = caller.principal();
    if (p == null) {
      return false;
    }
    return switch (p.getRole()) {
      case ADMIN -> true;
      case OWNER -> d.ownerFingerprint().equals(caller.fingerprint());
      case SCIENTIST -> d.license().getListersList().contains(p.getName())
          && !Licenses.expired(d.license(), clock.millis());
      default -> false;
    };
  }

  public DatasetInfo info(Dataset d, boolean withLicense) {
    DatasetInfo.Builder b = DatasetInfo.newBuilder().setManifest(d.manifest()).setOwnerFingerprint(d.ownerFingerprint())
        .setOwnerName(state.principal(d.ownerFingerprint()).map(Principal::getName).orElse(""))
        .setStoredAtMillis(d.storedAtMillis()).setEpsilonSpent(state.ledger().spent(d.id()).epsilon());
    if (withLicense) {
      b.setLicense(d.license());
    }
    return b.build();
  }

  /**
   * Every name a license grants something to must be an enrolled, active scientist when the license is set. A name
   * is bound to one key for ever (names are never reused, even after a revocation), so this binds the license to
   * identities: the admin cannot later enrol some key under a name the owner wrote down in advance (issue 12,
   * item 9). An owner who licenses a scientist not yet enrolled is told to have the admin enrol them first.
   */
  public void requireEnrolledScientists(License l) throws ServiceException {
    Set<String> names = new java.util.TreeSet<>();
    names.addAll(l.getListersList());
    names.addAll(l.getTrainersList());
    names.addAll(l.getEvaluatorsList());
    names.addAll(l.getReleaseToList());
    for (String name : names) {
      Principal p = state.activePrincipalNamed(name).orElse(null);
      if (p == null || p.getRole() != Role.SCIENTIST) {
        throw ServiceException.invalid("the license names '" + name + "', who is not an enrolled scientist"
            + (p == null ? "" : " (that name belongs to " + (p.getRole() == Role.OWNER ? "an owner" : "an admin") + ")")
            + ": licenses grant to enrolled scientists only; ask the admin to enrol them (rampart admin enroll),"
            + " then publish again");
      }
    }
  }
}
