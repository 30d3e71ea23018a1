package dev.rampart.agent;

import com.google.protobuf.ByteString;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestationException;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.DatasetSignatures;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.BeginUploadRequest;
import dev.rampart.protocol.v1.BeginUploadResponse;
import dev.rampart.protocol.v1.DatasetInfo;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.FinishUploadRequest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.SetLicenseRequest;
import dev.rampart.protocol.v1.UploadChunkRequest;
import dev.rampart.protocol.v1.UploadChunkResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Uploads one canonical dataset, resumably and idempotently: BeginUpload says where the coordinator stands
 * (already stored, or the next chunk it needs), chunks follow in order each with its digest, FinishUpload makes
 * the coordinator re-hash and seal it. A broken connection or a restarted coordinator means a new attested
 * session (attestation again, against the same policy) and a resume from the last acknowledged chunk.
 */
public final class Uploader {
  private static final Logger LOG = Logger.getLogger(Uploader.class.getName());
  /** Failures worth a new session: the coordinator is down, restarting, or its key changed with a restart. */
  private static final Set<GrpcStatus> TRANSIENT = Set.of(GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED,
      GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.ABORTED, GrpcStatus.CANCELLED);

  /** Opens a new attested session; an {@link AttestationException} from here is final, never retried. */
  @FunctionalInterface
  public interface Sessions {
    AttestedChannel open() throws RpcException;
  }

  /** Where upload progress goes (a progress bar in the CLI). */
  public interface Progress {
    Progress NONE = new Progress() {};

    default void start(String name, long totalBytes, long alreadyBytes) {}

    default void advance(long bytesDone) {}

    default void done() {}
  }

  /** Chunks sent ahead of the last acknowledgement (below the coordinator's window of 16). */
  public static final int IN_FLIGHT = 8;

  private final Sessions sessions;
  private final KeyIdentity owner;
  private final int maxAttempts;
  private final Duration firstBackoff;

  public Uploader(Sessions sessions, KeyIdentity owner, int maxAttempts, Duration firstBackoff) {
    this.sessions = sessions;
    this.owner = owner;
    this.maxAttempts = maxAttempts;
    this.firstBackoff = firstBackoff;
  }

  /** The outcome: the dataset as stored, and whether this run sent it (false: it was already there). */
  public record Result(DatasetInfo dataset, boolean uploaded, boolean licenseChanged) {}

  /** The manifest of canonical bytes: id = SHA-256, signed by the owner. */
  public DatasetManifest manifest(String name, byte[] canonical, long rows, int features, int classes) {
    String id = HexFormat.of().formatHex(sha256(canonical));
    return DatasetManifest.newBuilder().setDatasetId(id).setName(name).setCanonicalBytes(canonical.length)
        .setRows(rows).setFeatures(features).setClasses(classes)
        .setOwnerSignature(ByteString.copyFrom(owner.sign(DatasetSignatures.signedBytes(id)))).build();
  }

  public Result upload(DatasetManifest manifest, byte[] canonical, License license, Progress progress)
      throws RpcException, InterruptedException {
    try {
      return uploadRetrying(manifest, canonical, license, progress);
    } catch (NotRetried e) {
      throw (AttestationException) e.getCause();
    }
  }

  private Result uploadRetrying(DatasetManifest manifest, byte[] canonical, License license, Progress progress)
      throws RpcException, InterruptedException {
    RpcException last = null;
    long backoff = firstBackoff.toMillis();
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      try (AttestedChannel channel = open()) {
        return attempt(channel, manifest, canonical, license, progress);
      } catch (RpcException e) {
        boolean retry = TRANSIENT.contains(e.status()) || e instanceof AttestationException;
        if (!retry) {
          throw e;
        }
        last = e;
        LOG.warning("upload of " + manifest.getName() + " interrupted (" + e.getMessage() + "); attempt " + attempt
            + " of " + maxAttempts + ", resuming in " + backoff + " ms");
      }
      Thread.sleep(backoff);
      backoff = Math.min(backoff * 2, 30_000);
    }
    throw last;
  }

  /**
   * A new attested session. A coordinator that is restarting refuses connections for a while: that is transient
   * and retried like a broken call (the red team saw the agent give up after one 500 ms retry, because the session
   * was opened outside the retry). A failed verification is not: it propagates at once, and nothing is ever sent
   * to an unverified peer (each retry verifies afresh).
   */
  private AttestedChannel open() throws RpcException {
    try {
      return sessions.open();
    } catch (AttestationException e) {
      throw new NotRetried(e);
    }
  }

  /** A verification failure on opening a session, carried past the retry loop unchanged. */
  private static final class NotRetried extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotRetried(AttestationException cause) {
      super(cause);
    }
  }

  private Result attempt(AttestedChannel channel, DatasetManifest manifest, byte[] canonical, License license,
      Progress progress) throws RpcException {
    BeginUploadResponse begin = channel.call(Api.BEGIN_UPLOAD,
        BeginUploadRequest.newBuilder().setManifest(manifest).setLicense(license).build());
    if (begin.getAlreadyStored()) {
      DatasetInfo stored = find(channel, manifest.getDatasetId()).orElseThrow(() -> new RpcException(
          GrpcStatus.INTERNAL, "the coordinator says the dataset is stored but does not list it"));
      if (!stored.getLicense().equals(normalise(license))) {
        DatasetInfo updated = channel.call(Api.SET_LICENSE, SetLicenseRequest.newBuilder()
            .setDatasetId(manifest.getDatasetId()).setLicense(license).build());
        return new Result(updated, false, true);
      }
      return new Result(stored, false, false);
    }
    int size = begin.getChunkSize();
    long count = begin.getChunkCount();
    if (size <= 0 || count != (canonical.length + (long) size - 1) / size) {
      throw new RpcException(GrpcStatus.INTERNAL, "the coordinator proposed an inconsistent chunking (" + count
          + " chunks of " + size + " bytes for " + canonical.length + " bytes)");
    }
    long next = begin.getNextChunk();
    progress.start(manifest.getName(), canonical.length, Math.min(canonical.length, next * size));
    // several chunks in flight (the coordinator accepts them out of order within its window): the link and the
    // coordinator's sealing and forcing to disk overlap instead of taking turns
    java.util.ArrayDeque<io.vertx.core.Future<UploadChunkResponse>> inflight = new java.util.ArrayDeque<>();
    long sent = next;
    long acked = next;
    while (acked < count) {
      while (sent < count && inflight.size() < IN_FLIGHT) {
        int from = (int) (sent * size);
        int to = (int) Math.min(canonical.length, from + (long) size);
        ByteString data = ByteString.copyFrom(canonical, from, to - from);
        inflight.add(channel.callAsync(Api.UPLOAD_CHUNK, UploadChunkRequest.newBuilder()
            .setUploadId(begin.getUploadId()).setSeq(sent).setData(data)
            .setSha256(ByteString.copyFrom(sha256(canonical, from, to - from))).build()));
        sent++;
      }
      UploadChunkResponse ack = channel.join(inflight.poll(), "uploading " + manifest.getName());
      acked = Math.max(acked, ack.getNextChunk());
      progress.advance(Math.min(canonical.length, acked * size));
      if (inflight.isEmpty() && sent >= count && acked < count) {
        throw new RpcException(GrpcStatus.INTERNAL, "the coordinator acknowledged " + acked + " of " + count
            + " chunks after all were sent");
      }
    }
    DatasetInfo info = channel.call(Api.FINISH_UPLOAD,
        FinishUploadRequest.newBuilder().setUploadId(begin.getUploadId()).build());
    progress.done();
    return new Result(info, true, false);
  }

  /** The license as the coordinator stores it (unspecified enums made explicit), for comparison. */
  static License normalise(License l) {
    License.Builder b = l.toBuilder();
    if (l.getWeightRelease() == dev.rampart.protocol.v1.WeightRelease.WEIGHT_RELEASE_UNSPECIFIED) {
      b.setWeightRelease(dev.rampart.protocol.v1.WeightRelease.NEVER);
    }
    if (l.getMetricsRelease() == dev.rampart.protocol.v1.MetricsRelease.METRICS_RELEASE_UNSPECIFIED) {
      b.setMetricsRelease(dev.rampart.protocol.v1.MetricsRelease.DP_ONLY);
    }
    return b.build();
  }

  private static Optional<DatasetInfo> find(AttestedChannel channel, String id) throws RpcException {
    return channel.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList().stream()
        .filter(d -> d.getManifest().getDatasetId().equals(id)).findFirst();
  }

  static byte[] sha256(byte[] data) {
    return sha256(data, 0, data.length);
  }

  static byte[] sha256(byte[] data, int offset, int length) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(data, offset, length);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
