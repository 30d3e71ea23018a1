package dev.rampart.coordinator.datasets;

import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/** Resumable uploads into sealed storage: begin (or resume), chunks, finish. */
public final class Uploads {
  private static final Logger LOG = Logger.getLogger(Uploads.class.getName());
  private final Recorder recorder;
  private final CoordinatorState state;
  private final DatasetStore store;
  private final Datasets datasets;
  private final Clock clock;

  public Uploads(Recorder recorder, DatasetStore store, Datasets datasets, Clock clock) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.store = store;
    this.datasets = datasets;
    this.clock = clock;
  }

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
    Identities.requireRole(caller, Role.OWNER);
    DatasetManifest m = validManifest(r.getManifest());
    License license = Licenses.validate(r.getLicense(), clock.millis());
    datasets.requireEnrolledScientists(license);
    byte[] signed = dev.rampart.protocol.DatasetSignatures.signedBytes(m.getDatasetId());
    if (!KeyIdentity.verify(caller.publicKey(), signed, m.getOwnerSignature().toByteArray())) {
      throw ServiceException.invalid("owner_signature does not verify with your key over the dataset id");
    }
    var existing = state.dataset(m.getDatasetId());
    if (existing.isPresent()) {
      if (!existing.get().ownerFingerprint().equals(caller.fingerprint())) {
        throw ServiceException.alreadyExists("another owner has already uploaded this exact"
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
      // (the store's check and the journal record happen under the same dataset lock, so it is journaled)
      Dataset stored = state.dataset(m.getDatasetId()).orElseThrow(() -> new IOException("dataset "
          + m.getDatasetId() + " is in the store but not in the journal; restart the coordinator (its boot"
          + " clean-up resolves it)", e));
      if (!stored.ownerFingerprint().equals(caller.fingerprint())) {
        throw ServiceException.alreadyExists("another owner has already uploaded this exact"
            + " content (dataset " + m.getDatasetId().substring(0, 16) + "…)");
      }
      return BeginUploadResponse.newBuilder().setAlreadyStored(true).setChunkSize(DatasetStore.CHUNK_SIZE)
          .setChunkCount(DatasetStore.chunkCount(m.getCanonicalBytes())).setNextChunk(DatasetStore.chunkCount(
              m.getCanonicalBytes())).build();
    }
    return BeginUploadResponse.newBuilder().setUploadId(u.uploadId()).setChunkSize(DatasetStore.CHUNK_SIZE)
        .setChunkCount(u.chunkCount()).setNextChunk(store.nextChunk(u)).build();
  }

  private DatasetStore.Upload ownUpload(Caller caller, String uploadId) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.OWNER);
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
    Identities.requireRole(caller, Role.OWNER);
    // a retried finish after the first one completed: the upload is gone, the dataset is the caller's
    for (Dataset d : state.datasets()) {
      if (d.ownerFingerprint().equals(caller.fingerprint())
          && DatasetStore.uploadId(caller.fingerprint(), d.id()).equals(r.getUploadId())) {
        return datasets.info(d, true);
      }
    }
    DatasetStore.Upload u = ownUpload(caller, r.getUploadId());
    String id = u.request().getManifest().getDatasetId();
    if (state.dataset(id).filter(d -> !d.ownerFingerprint().equals(caller.fingerprint())).isPresent()) {
      store.deleteUpload(u.uploadId());
      throw ServiceException.alreadyExists("another owner has already stored this exact content");
    }
    if (state.dataset(id).isEmpty()) {
      long t0 = System.nanoTime();
      // the commit runs with the upload's lock held: a resume (BeginUpload) waits for it, then finds the dataset
      store.finish(u, (latest, summary) -> {
        // the license the owner sent last (DatasetStore.begin replaces it on every resume), validated again: it
        // may have expired since
        License license = Licenses.validate(latest.request().getLicense(), clock.millis());
        synchronized (recorder.lock()) {
          if (state.dataset(id).isEmpty()) {
            recorder.record(new Event.DatasetStored(u.request().getManifest(), caller.fingerprint(), license),
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
      throw ServiceException.alreadyExists("another owner has already stored this exact content");
    }
    store.deleteUpload(u.uploadId());
    return datasets.info(d, true);
  }
}
