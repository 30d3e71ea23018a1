package dev.rampart.coordinator.identity;

import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.logging.Logger;

/** Principals: the boot admin, enrolment, revocation, listing, and the role every call checks. */
public final class Identities {
  private static final Logger LOG = Logger.getLogger(Identities.class.getName());
  private final Recorder recorder;
  private final CoordinatorState state;

  public Identities(Recorder recorder) {
    this.recorder = recorder;
    this.state = recorder.state();
  }

  public Principal whoAmI(Caller caller) {
    return caller.principal();
  }

  /** Enrols the coordinator's first admin from {@code --admin-key} (idempotent across restarts). */
  public void enrollBootAdmin(X509Certificate cert) throws IOException {
    String fp = KeyIdentity.fingerprint(cert.getPublicKey());
    synchronized (recorder.lock()) {
      if (state.principal(fp).isPresent()) {
        if (state.principal(fp).get().getRevoked()) {
          LOG.warning("--admin-key names a revoked key: it stays revoked");
        }
        return;
      }
      // the host controls the command line: once the journal has an admin, only admins enrol admins
      if (state.principals().stream().anyMatch(p -> p.getRole() == Role.ADMIN)) {
        LOG.warning("--admin-key ignored: this coordinator already has an admin; an admin enrols further admins");
        return;
      }
      String name = state.principalNamed("admin").isPresent() ? "admin-" + fp.substring(0, 8) : "admin";
      recorder.record(new Event.PrincipalEnrolled(fp, Role.ADMIN, name, ""), List.of(fp));
      LOG.info("enrolled the admin key " + fp.substring(0, 16) + "… from --admin-key as '" + name + "'");
    }
  }

  public Principal enroll(Caller caller, EnrollRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.ADMIN);
    if (r.getRole() != Role.OWNER && r.getRole() != Role.SCIENTIST && r.getRole() != Role.ADMIN) {
      throw ServiceException.invalid("role must be OWNER, SCIENTIST or ADMIN");
    }
    if (!KeyIdentity.validName(r.getName())) {
      throw ServiceException.invalid("a name is 1-64 of a-z 0-9 . _ - starting with a letter or digit, got '"
          + r.getName() + "'");
    }
    X509Certificate cert;
    try {
      cert = KeyIdentity.parseCertificateDer(r.getCertificateDer().toByteArray());
    } catch (IOException e) {
      throw ServiceException.invalid("certificate_der is not a DER X.509 certificate (use the cert.pem that"
          + " 'rampart keys new' wrote)");
    }
    String fp = KeyIdentity.fingerprint(cert.getPublicKey());
    synchronized (recorder.lock()) {
      var existing = state.principal(fp);
      if (existing.isPresent()) {
        throw ServiceException.alreadyExists(existing.get().getRevoked()
            ? "this key was revoked and cannot be enrolled again; make a new key"
            : "this key is already enrolled as '" + existing.get().getName() + "' (" + existing.get().getRole() + ")");
      }
      if (state.principalNamed(r.getName()).isPresent()) {
        // never reused, even after a revocation: licenses name scientists, so a reused name would inherit them
        throw ServiceException.alreadyExists("the name '" + r.getName()
            + "' has been enrolled before (names are never reused); choose another");
      }
      recorder.record(new Event.PrincipalEnrolled(fp, r.getRole(), r.getName(), caller.fingerprint()), List.of(fp));
    }
    LOG.info(caller.describe() + " enrolled " + r.getName() + " as " + r.getRole());
    return state.principal(fp).orElseThrow();
  }

  public Principal revoke(Caller caller, RevokeRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.ADMIN);
    synchronized (recorder.lock()) {
      Principal p = (r.getFingerprint().isEmpty()
          ? state.activePrincipalNamed(r.getName()) : state.principal(r.getFingerprint()).filter(x -> !x.getRevoked()))
          .orElseThrow(() -> ServiceException.notFound("no enrolled principal "
              + (r.getFingerprint().isEmpty() ? "named '" + r.getName() + "'" : r.getFingerprint())));
      if (p.getRole() == Role.ADMIN && state.principals().stream()
          .filter(x -> x.getRole() == Role.ADMIN && !x.getRevoked()).count() == 1) {
        throw ServiceException.precondition("'" + p.getName() + "' is the last admin; enrol another admin first");
      }
      recorder.record(new Event.PrincipalRevoked(p.getFingerprint(), caller.fingerprint()), List.of(p.getFingerprint()));
      LOG.info(caller.describe() + " revoked " + p.getName());
      return state.principal(p.getFingerprint()).orElseThrow();
    }
  }

  public ListPrincipalsResponse listPrincipals(Caller caller) throws ServiceException {
    requireRole(caller, Role.ADMIN);
    return ListPrincipalsResponse.newBuilder().addAllPrincipals(state.principals()).build();
  }

  public static void requireRole(Caller caller, Role role) throws ServiceException {
    if (caller.principal() == null || caller.principal().getRole() != role) {
      throw ServiceException.denied("this needs the " + role.name().toLowerCase() + " role; you are "
          + (caller.principal() == null ? "not enrolled" : caller.principal().getRole().name().toLowerCase()));
    }
  }
}
