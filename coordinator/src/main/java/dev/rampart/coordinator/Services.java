package dev.rampart.coordinator;

import com.google.protobuf.ByteString;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.EventCodec;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.coordinator.tee.AttestationBundle;
import dev.rampart.coordinator.tee.Attester;
import dev.rampart.journal.Journal;
import dev.rampart.journal.JournalEntry;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.*;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * What each RPC does, as plain blocking methods (the RPC layer runs them on worker threads). Every state
 * change is appended to the journal first (forced to disk) and then applied, under one lock, so that the state
 * is always what the journal says.
 */
public final class Services {
  private static final Logger LOG = Logger.getLogger(Services.class.getName());
  private static final int EXPORT_PAGE = 1000;
  private static final long EXPORT_PAGE_BYTES = 2L << 20;

  private final CoordinatorState state;
  private final Journal journal;
  private final DatasetStore store;
  private final Attester attester;
  private final String measurementHex;
  private final Clock clock;
  private final Object mutations = new Object();

  public Services(CoordinatorState state, Journal journal, DatasetStore store, Attester attester, byte[] measurement,
      Clock clock) {
    this.state = state;
    this.journal = journal;
    this.store = store;
    this.attester = attester;
    this.measurementHex = HexFormat.of().formatHex(measurement);
    this.clock = clock;
  }

  public CoordinatorState state() {
    return state;
  }

  // ---- journal-first mutation ----

  /**
   * Appends an event (forced to disk) and applies it: the state never runs ahead of the journal. What is applied is
   * the entry as written, read back through the codec, exactly as a replay at the next boot will read it.
   */
  JournalEntry record(Event event, List<String> subjects) throws IOException {
    synchronized (mutations) {
      JournalEntry e = journal.append(event.type(), subjects, EventCodec.encode(event));
      state.apply(EventCodec.decode(e.type(), e.payloadJson()).orElseThrow(), e.timeMillis());
      return e;
    }
  }

  /**
   * Charges an event's privacy cost: checked against every dataset's budget, then journaled and applied (which adds
   * it to the ledger), with the mutation lock held throughout so that no other charge comes in between. The caller
   * releases nothing derived from the data before this returns.
   *
   * @throws BudgetExceededException if it does not fit; nothing is journaled or charged
   */
  java.util.Map<String, dev.rampart.accountant.PrivacyGuarantee> charge(Event.Charging event, List<String> subjects)
      throws dev.rampart.accountant.BudgetExceededException, IOException {
    synchronized (mutations) {
      var after = state.ledger().check(event.charge().datasetIds(), event.charge().segment());
      record(event, subjects);
      return after;
    }
  }

  private JobService jobs;

  /** Training jobs (set once at boot). */
  public JobService jobs() {
    return jobs;
  }

  void attachJobs(JobService jobs) {
    this.jobs = jobs;
  }

  // ---- attestation ----

  public AttestResponse attest(Caller caller, AttestRequest r) throws ServiceException, IOException {
    if (r.getNonce().size() != ChannelBinding.NONCE_LENGTH) {
      throw ServiceException.invalid("the nonce must be exactly 32 fresh random bytes, got " + r.getNonce().size());
    }
    AttestationBundle b = attester.attest(ChannelBinding.reportData(r.getNonce().toByteArray(), caller.serverSpki()));
    AttestResponse.Builder out = AttestResponse.newBuilder().setPlatform(b.platform())
        .setEvidence(ByteString.copyFrom(b.evidence())).setMeasurement(measurementHex);
    if (b.endorsementKey() != null) {
      out.setEndorsementKey(ByteString.copyFrom(b.endorsementKey()));
    }
    if (b.chain() != null) {
      out.setChain(ByteString.copyFrom(b.chain()));
    }
    if (b.collateral() != null) {
      out.setCollateral(ByteString.copyFrom(b.collateral()));
    }
    return out.build();
  }

  // ---- principals ----

  public Principal whoAmI(Caller caller) {
    return caller.principal();
  }

  /** Enrols the coordinator's first admin from {@code --admin-key} (idempotent across restarts). */
  public void enrollBootAdmin(X509Certificate cert) throws IOException {
    String fp = KeyIdentity.fingerprint(cert.getPublicKey());
    synchronized (mutations) {
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
      record(new Event.PrincipalEnrolled(fp, Role.ADMIN, name, ""), List.of(fp));
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
    synchronized (mutations) {
      var existing = state.principal(fp);
      if (existing.isPresent()) {
        throw new ServiceException(GrpcStatus.ALREADY_EXISTS, existing.get().getRevoked()
            ? "this key was revoked and cannot be enrolled again; make a new key"
            : "this key is already enrolled as '" + existing.get().getName() + "' (" + existing.get().getRole() + ")");
      }
      if (state.principalNamed(r.getName()).isPresent()) {
        // never reused, even after a revocation: licenses name scientists, so a reused name would inherit them
        throw new ServiceException(GrpcStatus.ALREADY_EXISTS, "the name '" + r.getName()
            + "' has been enrolled before (names are never reused); choose another");
      }
      record(new Event.PrincipalEnrolled(fp, r.getRole(), r.getName(), caller.fingerprint()), List.of(fp));
    }
    LOG.info(caller.describe() + " enrolled " + r.getName() + " as " + r.getRole());
    return state.principal(fp).orElseThrow();
  }

  public Principal revoke(Caller caller, RevokeRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.ADMIN);
    synchronized (mutations) {
      Principal p = (r.getFingerprint().isEmpty()
          ? state.activePrincipalNamed(r.getName()) : state.principal(r.getFingerprint()).filter(x -> !x.getRevoked()))
          .orElseThrow(() -> ServiceException.notFound("no enrolled principal "
              + (r.getFingerprint().isEmpty() ? "named '" + r.getName() + "'" : r.getFingerprint())));
      if (p.getRole() == Role.ADMIN && state.principals().stream()
          .filter(x -> x.getRole() == Role.ADMIN && !x.getRevoked()).count() == 1) {
        throw ServiceException.precondition("'" + p.getName() + "' is the last admin; enrol another admin first");
      }
      record(new Event.PrincipalRevoked(p.getFingerprint(), caller.fingerprint()), List.of(p.getFingerprint()));
      LOG.info(caller.describe() + " revoked " + p.getName());
      return state.principal(p.getFingerprint()).orElseThrow();
    }
  }

  public ListPrincipalsResponse listPrincipals(Caller caller) throws ServiceException {
    requireRole(caller, Role.ADMIN);
    return ListPrincipalsResponse.newBuilder().addAllPrincipals(state.principals()).build();
  }

  static void requireRole(Caller caller, Role role) throws ServiceException {
    if (caller.principal() == null || caller.principal().getRole() != role) {
      throw ServiceException.denied("this needs the " + role.name().toLowerCase() + " role; you are "
          + (caller.principal() == null ? "not enrolled" : caller.principal().getRole().name().toLowerCase()));
    }
  }

  // ---- datasets ----

  private DatasetManifest validManifest(DatasetManifest m) throws ServiceException {
    if (!m.getDatasetId().matches("[0-9a-f]{64}")) {
      throw ServiceException.invalid("dataset_id must be the SHA-256 of the canonical bytes, 64 lower-case hex");
    }
    if (!m.getName().matches("[A-Za-z0-9._-]{1,64}")) {
      throw ServiceException.invalid("a dataset name is 1-64 of A-Z a-z 0-9 . _ -, got '" + m.getName() + "'");
    }
    if (m.getCanonicalBytes() < 33 || m.getCanonicalBytes() > DatasetStore.MAX_BYTES) {
      throw ServiceException.invalid("canonical_bytes must be in [33, " + DatasetStore.MAX_BYTES + "], got "
          + m.getCanonicalBytes());
    }
    if (m.getRows() < 1 || m.getFeatures() < 1 || m.getClasses() < 2) {
      throw ServiceException.invalid("a dataset needs rows >= 1, features >= 1 and classes >= 2");
    }
    return m;
  }

  public BeginUploadResponse beginUpload(Caller caller, BeginUploadRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.OWNER);
    DatasetManifest m = validManifest(r.getManifest());
    License license = Licenses.validate(r.getLicense(), clock.millis());
    requireEnrolledScientists(license);
    byte[] signed = dev.rampart.protocol.DatasetSignatures.signedBytes(m.getDatasetId());
    if (!KeyIdentity.verify(caller.publicKey(), signed, m.getOwnerSignature().toByteArray())) {
      throw ServiceException.invalid("owner_signature does not verify with your key over the dataset id");
    }
    var existing = state.dataset(m.getDatasetId());
    if (existing.isPresent()) {
      if (!existing.get().ownerFingerprint().equals(caller.fingerprint())) {
        throw new ServiceException(GrpcStatus.ALREADY_EXISTS, "another owner has already uploaded this exact"
            + " content (dataset " + m.getDatasetId().substring(0, 16) + "…)");
      }
      return BeginUploadResponse.newBuilder().setAlreadyStored(true).setChunkSize(DatasetStore.CHUNK_SIZE)
          .setChunkCount(DatasetStore.chunkCount(m.getCanonicalBytes())).setNextChunk(DatasetStore.chunkCount(
              m.getCanonicalBytes())).build();
    }
    DatasetStore.Upload u;
    try {
      u = store.begin(caller.fingerprint(), r.toBuilder().setLicense(license).build());
    } catch (DatasetStore.AlreadyStoredException e) {
      // a finish stored it after the check above (it journals before letting this begin in): answer as above
      Dataset stored = state.dataset(m.getDatasetId()).orElseThrow(() -> e);
      if (!stored.ownerFingerprint().equals(caller.fingerprint())) {
        throw new ServiceException(GrpcStatus.ALREADY_EXISTS, "another owner has already uploaded this exact"
            + " content (dataset " + m.getDatasetId().substring(0, 16) + "…)");
      }
      return BeginUploadResponse.newBuilder().setAlreadyStored(true).setChunkSize(DatasetStore.CHUNK_SIZE)
          .setChunkCount(DatasetStore.chunkCount(m.getCanonicalBytes())).setNextChunk(DatasetStore.chunkCount(
              m.getCanonicalBytes())).build();
    }
    return BeginUploadResponse.newBuilder().setUploadId(u.uploadId()).setChunkSize(DatasetStore.CHUNK_SIZE)
        .setChunkCount(u.chunkCount()).setNextChunk(store.nextChunk(u.uploadId())).build();
  }

  private DatasetStore.Upload ownUpload(Caller caller, String uploadId) throws ServiceException, IOException {
    requireRole(caller, Role.OWNER);
    DatasetStore.Upload u;
    try {
      u = store.read(uploadId);
    } catch (java.nio.file.NoSuchFileException e) {
      throw ServiceException.notFound("no upload " + uploadId + " in progress; call BeginUpload");
    } catch (IOException e) {
      if (e instanceof dev.rampart.coordinator.storage.SealedDataException) {
        throw e;
      }
      throw ServiceException.invalid("upload_id must be the 32 hex digits BeginUpload returned");
    }
    if (!u.ownerFingerprint().equals(caller.fingerprint())) {
      throw ServiceException.notFound("no upload " + uploadId + " in progress; call BeginUpload");
    }
    return u;
  }

  public UploadChunkResponse uploadChunk(Caller caller, UploadChunkRequest r) throws ServiceException, IOException {
    if (r.getSeq() < 0) {
      throw ServiceException.invalid("chunk seq " + r.getSeq() + " is negative: chunks are numbered from 0");
    }
    DatasetStore.Upload u = ownUpload(caller, r.getUploadId());
    long next = store.putChunk(u, r.getSeq(), r.getData().toByteArray(), r.getSha256().toByteArray());
    return UploadChunkResponse.newBuilder().setNextChunk(next).build();
  }

  public DatasetInfo finishUpload(Caller caller, FinishUploadRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.OWNER);
    // a retried finish after the first one completed: the upload is gone, the dataset is the caller's
    for (Dataset d : state.datasets()) {
      if (d.ownerFingerprint().equals(caller.fingerprint())
          && DatasetStore.uploadId(caller.fingerprint(), d.id()).equals(r.getUploadId())) {
        return info(d, true);
      }
    }
    DatasetStore.Upload u = ownUpload(caller, r.getUploadId());
    String id = u.request().getManifest().getDatasetId();
    if (state.dataset(id).filter(d -> !d.ownerFingerprint().equals(caller.fingerprint())).isPresent()) {
      store.deleteUpload(u.uploadId());
      throw new ServiceException(GrpcStatus.ALREADY_EXISTS, "another owner has already stored this exact content");
    }
    if (state.dataset(id).isEmpty()) {
      long t0 = System.nanoTime();
      // the commit runs with the upload's lock held: a resume (BeginUpload) waits for it, then finds the dataset
      store.finish(u, (latest, summary) -> {
        // the license the owner sent last (DatasetStore.begin replaces it on every resume), validated again: it
        // may have expired since
        License license = Licenses.validate(latest.request().getLicense(), clock.millis());
        synchronized (mutations) {
          if (state.dataset(id).isEmpty()) {
            record(new Event.DatasetStored(u.request().getManifest(), caller.fingerprint(), license),
                List.of(id, caller.fingerprint()));
            LOG.info(caller.describe() + " stored dataset " + id.substring(0, 16) + "… ("
                + u.request().getManifest().getRows() + " rows), validated as it arrived, committed in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
          }
        }
      });
    }
    Dataset d = state.dataset(id).orElseThrow();
    if (!d.ownerFingerprint().equals(caller.fingerprint())) {
      // another owner's finish of the same content won the race: its dataset and license are not ours to see
      store.deleteUpload(u.uploadId());
      throw new ServiceException(GrpcStatus.ALREADY_EXISTS, "another owner has already stored this exact content");
    }
    store.deleteUpload(u.uploadId());
    return info(d, true);
  }

  /**
   * Every name a license grants something to must be an enrolled, active scientist when the license is set. A name
   * is bound to one key for ever (names are never reused, even after a revocation), so this binds the license to
   * identities: the admin cannot later enrol some key under a name the owner wrote down in advance (issue 12,
   * item 9). An owner who licenses a scientist not yet enrolled is told to have the admin enrol them first.
   */
  private void requireEnrolledScientists(License l) throws ServiceException {
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

  private DatasetInfo info(Dataset d, boolean withLicense) {
    DatasetInfo.Builder b = DatasetInfo.newBuilder().setManifest(d.manifest()).setOwnerFingerprint(d.ownerFingerprint())
        .setOwnerName(state.principal(d.ownerFingerprint()).map(Principal::getName).orElse(""))
        .setStoredAtMillis(d.storedAtMillis()).setEpsilonSpent(state.ledger().spent(d.id()).epsilon());
    if (withLicense) {
      b.setLicense(d.license());
    }
    return b.build();
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
    requireRole(caller, Role.OWNER);
    License license = Licenses.validate(r.getLicense(), clock.millis());
    requireEnrolledScientists(license);
    synchronized (mutations) {
      Dataset d = state.dataset(r.getDatasetId()).orElseThrow(() -> ServiceException.notFound("no dataset "
          + r.getDatasetId()));
      if (!d.ownerFingerprint().equals(caller.fingerprint())) {
        throw ServiceException.denied("only the dataset's owner can change its license");
      }
      record(new Event.LicenseSet(d.id(), license), List.of(d.id(), caller.fingerprint()));
      LOG.info(caller.describe() + " set the license of dataset " + d.id().substring(0, 16) + "…");
      return info(state.dataset(d.id()).orElseThrow(), true);
    }
  }

  // ---- approvals ----

  public ApprovalRequest requestApproval(Caller caller, RequestApprovalRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.SCIENTIST);
    if (!"weight-release".equals(r.getKind())) {
      throw ServiceException.invalid("kind must be 'weight-release'");
    }
    if (!r.getSubject().matches("[A-Za-z0-9._:-]{1,128}")) {
      throw ServiceException.invalid("subject (what is to be released, e.g. a job id) must be 1-128 of"
          + " A-Z a-z 0-9 . _ : -");
    }
    if (r.getDatasetIdsCount() == 0 || r.getDatasetIdsCount() > 64) {
      throw ServiceException.invalid("name 1-64 datasets");
    }
    var job = state.job(r.getSubject());
    // the subject is one of the caller's jobs, never free text: a scientist could otherwise journal any number of
    // requests about anything, and owners would be asked to approve what does not exist
    // a job's weights: only its scientist (another's job is as unknown as a job that does not exist), only once it
    // has ended (the approval covers the final model), and only for exactly its datasets
    if (job.isEmpty() || !job.get().getScientistFingerprint().equals(caller.fingerprint())) {
      throw ServiceException.notFound("no job " + r.getSubject() + " of yours: a weight-release approval names one"
          + " of your ended jobs (its id, as rampart jobs lists it)");
    }
    if (!JobService.terminal(job.get().getState())) {
      throw ServiceException.precondition("job " + r.getSubject() + " has not ended; ask for its weights when it has");
    }
    if (!Set.copyOf(r.getDatasetIdsList()).equals(Set.copyOf(job.get().getSpec().getDatasetIdsList()))) {
      throw ServiceException.invalid("a release of job " + r.getSubject() + " names exactly the job's datasets");
    }
    List<Dataset> ds = new ArrayList<>();
    for (String id : new LinkedHashSet<>(r.getDatasetIdsList())) {
      Dataset d = state.dataset(id).filter(x -> visible(caller, x))
          .orElseThrow(() -> ServiceException.notFound("no dataset " + id + " visible to you"));
      ds.add(d);
    }
    License l = Licenses.intersect(ds.stream().map(Dataset::license).toList());
    String name = caller.principal().getName();
    if (l.getWeightRelease() == WeightRelease.NEVER) {
      throw ServiceException.denied("the licenses of these datasets forbid releasing weights");
    }
    if (!l.getReleaseToList().contains(name)) {
      throw ServiceException.denied("the licenses of these datasets do not release weights to '" + name + "'");
    }
    Set<String> pending = new LinkedHashSet<>();
    for (Dataset d : ds) {
      if (Licenses.weightRelease(d.license()) == WeightRelease.AFTER_OWNER_APPROVAL) {
        pending.add(d.ownerFingerprint());
      }
    }
    if (pending.isEmpty()) {
      throw ServiceException.precondition("no approval is needed: the licenses release weights to '" + name + "'");
    }
    // one pending request per job and scientist: asking again returns it (nothing new is journaled)
    for (ApprovalRequest a : state.approvals()) {
      if (a.getState() == ApprovalState.PENDING && a.getSubject().equals(r.getSubject())
          && a.getRequesterFingerprint().equals(caller.fingerprint())) {
        return withNames(a);
      }
    }
    String id = UUID.randomUUID().toString();
    Event.ApprovalRequested event = new Event.ApprovalRequested(id, r.getKind(), r.getSubject(), caller.fingerprint(),
        name, ds.stream().map(Dataset::id).toList(), List.copyOf(pending));
    List<String> subjects = new ArrayList<>(ds.stream().map(Dataset::id).toList());
    subjects.add(caller.fingerprint());
    subjects.addAll(pending);
    synchronized (mutations) {
      record(event, subjects);
    }
    LOG.info(caller.describe() + " requested approval " + id + " (" + r.getKind() + " of " + r.getSubject() + ")");
    return withNames(state.approval(id).orElseThrow());
  }

  /** The request with the names of the owners still to decide (the state keeps fingerprints). */
  ApprovalRequest withNames(ApprovalRequest a) {
    ApprovalRequest.Builder b = a.toBuilder().clearPendingOwnerNames();
    for (String fp : a.getPendingOwnersList()) {
      b.addPendingOwnerNames(state.principal(fp).map(Principal::getName).orElse(fp.substring(0, 16)));
    }
    return b.build();
  }

  private boolean involves(Caller caller, ApprovalRequest a) {
    Principal p = caller.principal();
    return switch (p.getRole()) {
      case ADMIN -> true;
      case SCIENTIST -> a.getRequesterFingerprint().equals(caller.fingerprint());
      case OWNER -> a.getDatasetIdsList().stream().anyMatch(id -> state.dataset(id)
          .map(d -> d.ownerFingerprint().equals(caller.fingerprint())).orElse(false));
      default -> false;
    };
  }

  public ListApprovalsResponse listApprovals(Caller caller, ListApprovalsRequest r) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    ListApprovalsResponse.Builder b = ListApprovalsResponse.newBuilder();
    for (ApprovalRequest a : state.approvals()) {
      if (involves(caller, a) && (!r.getPendingOnly() || a.getState() == ApprovalState.PENDING)) {
        b.addRequests(withNames(a));
      }
    }
    return b.build();
  }

  public ApprovalRequest decide(Caller caller, DecideApprovalRequest r) throws ServiceException, IOException {
    requireRole(caller, Role.OWNER);
    if (r.getReason().length() > 512 || r.getReason().chars().anyMatch(ch -> ch < 0x20)) {
      throw ServiceException.invalid("a reason is at most 512 characters, without control characters");
    }
    synchronized (mutations) {
      ApprovalRequest a = state.approval(r.getId()).filter(x -> involves(caller, x))
          .orElseThrow(() -> ServiceException.notFound("no approval request " + r.getId() + " on your datasets"));
      if (a.getState() != ApprovalState.PENDING) {
        throw ServiceException.precondition("request " + a.getId() + " is already " + a.getState());
      }
      if (!a.getPendingOwnersList().contains(caller.fingerprint())) {
        throw ServiceException.precondition("you have already decided request " + a.getId());
      }
      Event.ApprovalDecided event = new Event.ApprovalDecided(a.getId(), caller.fingerprint(),
          caller.principal().getName(), r.getApprove(), r.getReason());
      List<String> subjects = new ArrayList<>(a.getDatasetIdsList());
      subjects.add(caller.fingerprint());
      subjects.add(a.getRequesterFingerprint());
      record(event, subjects);
      LOG.info(caller.describe() + (r.getApprove() ? " approved " : " denied ") + "request " + a.getId());
      return withNames(state.approval(a.getId()).orElseThrow());
    }
  }

  // ---- audit ----

  public ExportJournalResponse exportJournal(Caller caller, ExportJournalRequest r) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    if (r.getFromSeq() < 0) {
      throw ServiceException.invalid("from_seq must be >= 0");
    }
    int page = r.getMaxEntries() <= 0 ? EXPORT_PAGE : Math.min(r.getMaxEntries(), EXPORT_PAGE);
    Predicate<JournalEntry> visible = visibleTo(caller);
    List<JournalEntry> all = journal.entries();
    ExportJournalResponse.Builder b = ExportJournalResponse.newBuilder().setChainLength(all.size());
    long end = Math.min(all.size(), r.getFromSeq() + page);
    long i = r.getFromSeq();
    long bytes = 0;
    // pages end at about 2 MiB, well inside the 4 MiB message limit (boot entries carry evidence and chains)
    for (; i < end && (bytes < EXPORT_PAGE_BYTES || i == r.getFromSeq()); i++) {
      JournalEntry e = all.get((int) i);
      dev.rampart.protocol.v1.JournalEntry shown = toProto(e.isBoot() || visible.test(e) ? e : e.redacted());
      bytes += shown.getSerializedSize();
      b.addEntries(shown);
    }
    return b.setNextSeq(Math.max(i, r.getFromSeq())).build();
  }

  private Predicate<JournalEntry> visibleTo(Caller caller) {
    if (caller.principal().getRole() == Role.ADMIN) {
      return e -> true;
    }
    Set<String> mine = new LinkedHashSet<>();
    mine.add(caller.fingerprint());
    for (Dataset d : state.datasets()) {
      if (d.ownerFingerprint().equals(caller.fingerprint())) {
        mine.add(d.id());
      }
    }
    return e -> e.subjects().stream().anyMatch(mine::contains);
  }

  public static dev.rampart.protocol.v1.JournalEntry toProto(JournalEntry e) {
    dev.rampart.protocol.v1.JournalEntry.Builder b = dev.rampart.protocol.v1.JournalEntry.newBuilder()
        .setSeq(e.seq()).setPrevHash(ByteString.copyFrom(e.prevHash())).setTimeMillis(e.timeMillis())
        .setType(e.type()).setPayloadSha256(ByteString.copyFrom(e.payloadSha256()))
        .setSignerSpki(ByteString.copyFrom(e.signerSpki())).setSignature(ByteString.copyFrom(e.signature()))
        .setRedacted(e.isRedacted());
    if (!e.isRedacted()) {
      b.setPayload(ByteString.copyFrom(e.payload()));
    }
    return b.build();
  }

}
