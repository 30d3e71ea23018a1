package dev.rampart.client;

import dev.rampart.attestation.VerificationResult;
import dev.rampart.client.internal.IdPrefix;
import dev.rampart.client.internal.ModelDownload;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.CancelJobRequest;
import dev.rampart.protocol.v1.DatasetInfo;
import dev.rampart.protocol.v1.EvaluateRequest;
import dev.rampart.protocol.v1.EvaluateResponse;
import dev.rampart.protocol.v1.FetchModelRequest;
import dev.rampart.protocol.v1.FetchModelResponse;
import dev.rampart.protocol.v1.GetJobRequest;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.ListJobsRequest;
import dev.rampart.protocol.v1.Principal;
import dev.rampart.protocol.v1.SubmitJobRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The data scientist's side of Rampart: list the datasets the licenses let you see, train a model on them
 * with DP-SGD, watch it, fetch the weights when the licenses release them, evaluate. Everything goes over one
 * {@link AttestedChannel}: nothing is sent before the coordinator has proven, by remote attestation against
 * your policy, that it runs the code the policy pins.
 *
 * <pre>{@code
 * try (RampartClient client = RampartClient.connect(AttestedChannel.Target.parse("10.0.0.5:7443", policy),
 *     KeyIdentity.load(Path.of("keys/alice")))) {
 *   Job job = client.train(TrainRequest.builder().model(Path.of("mlp.json"))
 *       .datasets(List.of(client.resolveDatasetId("3f2a9c01"))).epochs(5).targetEpsilon(2).build());
 *   job = client.watch(job.getId(), Duration.ofSeconds(2), j -> System.out.println(j.getStep()));
 *   FetchResult model = client.fetchModel(job.getId(), Path.of("model.bin"));
 * }
 * }</pre>
 *
 * <p>Every call blocks the calling thread (never call from a Vert.x event loop) and may be made from several
 * threads at once. A call the coordinator refuses, or that cannot complete, throws {@link RpcException} with
 * the gRPC status and the coordinator's message; {@link dev.rampart.protocol.AttestationException} (a subclass)
 * means the session is no longer attested: close this client and connect again, which attests again.
 */
public final class RampartClient implements AutoCloseable {
  /** How long one call may take. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
  /** Shortest prefix {@link #resolveDatasetId} expands (hex digits). */
  public static final int MIN_DATASET_PREFIX = 8;
  /** Shortest prefix {@link #resolveJobId} expands. */
  public static final int MIN_JOB_PREFIX = 8;

  /** How long {@link #watch} keeps trying to reach a coordinator that went away (a restart, say). */
  public static final Duration RECONNECT_FOR = Duration.ofMinutes(3);

  private volatile AttestedChannel channel;
  /** Set when the client opened the session itself: then it can open (and attest) a new one. */
  private final AttestedChannel.Target target;
  private final KeyIdentity identity;

  private RampartClient(AttestedChannel channel, AttestedChannel.Target target, KeyIdentity identity) {
    this.channel = channel;
    this.target = target;
    this.identity = identity;
  }

  /**
   * Opens a session: attests the coordinator against {@code target}'s policy, then identifies you with your
   * key (mutual TLS).
   *
   * @throws dev.rampart.protocol.AttestationException the coordinator failed attestation: nothing was sent
   * @throws RpcException the coordinator is unreachable, or does not know your key (ask an admin to enrol it)
   */
  public static RampartClient connect(AttestedChannel.Target target, KeyIdentity identity) throws RpcException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(identity, "identity: a scientist's key (rampart keys new)");
    return new RampartClient(AttestedChannel.open(null, target, identity, Clock.systemUTC(), CALL_TIMEOUT), target,
        identity);
  }

  /**
   * Uses a session already opened (and attested) with your identity. The client takes it over: {@link #close()}
   * closes it.
   */
  public static RampartClient connect(AttestedChannel channel) {
    Objects.requireNonNull(channel, "channel");
    if (channel.principal() == null) {
      throw new IllegalArgumentException("the channel is anonymous: open it with your key to train or fetch");
    }
    return new RampartClient(channel, null, null);
  }

  /** Whether a job in {@code state} has stopped for good. */
  public static boolean isTerminal(JobState state) {
    return switch (state) {
      case COMPLETED, BUDGET_EXHAUSTED, CANCELLED, FAILED -> true;
      default -> false;
    };
  }

  /** You, as the coordinator knows you (name, role, fingerprint). */
  public Principal principal() {
    return channel.principal();
  }

  /** What the coordinator attested to (platform, measurement; insecure for a simulated TEE). */
  public VerificationResult attestation() {
    return channel.attestation();
  }

  /** The datasets whose licenses let you list them, with their licenses and the ε spent on each so far. */
  public List<DatasetInfo> datasets() throws RpcException {
    return channel.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance()).getDatasetsList();
  }

  /**
   * The full id of the one visible dataset whose id is {@code idOrPrefix} or starts with it (at least 8 hex
   * digits).
   *
   * @throws IllegalArgumentException the prefix is too short, unknown, or ambiguous (the message says which)
   */
  public String resolveDatasetId(String idOrPrefix) throws RpcException {
    if (TrainRequest.isDatasetId(idOrPrefix)) {
      return idOrPrefix; // a full id needs no listing; the coordinator says whether you may use it
    }
    return IdPrefix.resolve(idOrPrefix, datasets().stream().map(d -> d.getManifest().getDatasetId()).toList(),
        "dataset", MIN_DATASET_PREFIX, "'rampart datasets'");
  }

  /**
   * Submits a training job. The coordinator checks the model against its allow-list and every dataset's
   * license (you must be a trainer; DP required; the job's ε must fit the remaining budget) before it queues it.
   *
   * @return the job as queued: its id, total steps, sample rate and the noise multiplier it will use
   */
  public Job train(TrainRequest request) throws RpcException {
    Objects.requireNonNull(request, "request");
    return channel.call(Api.SUBMIT_JOB, SubmitJobRequest.newBuilder().setSpec(request.toSpec()).build());
  }

  /** Your jobs (an admin's: all; an owner's: those on its datasets), without their model configurations. */
  public List<Job> jobs() throws RpcException {
    return channel.call(Api.LIST_JOBS, ListJobsRequest.getDefaultInstance()).getJobsList();
  }

  /** One job, with every DP metric released so far. */
  public Job job(String id) throws RpcException {
    return channel.call(Api.GET_JOB, GetJobRequest.newBuilder().setJobId(requireId(id)).build());
  }

  /**
   * The full id of the one visible job whose id is {@code idOrPrefix} or starts with it (at least 8 characters).
   *
   * @throws IllegalArgumentException the prefix is too short, unknown, or ambiguous (the message says which)
   */
  public String resolveJobId(String idOrPrefix) throws RpcException {
    return IdPrefix.resolve(idOrPrefix, jobs().stream().map(Job::getId).toList(), "job", MIN_JOB_PREFIX,
        "'rampart jobs'");
  }

  /**
   * Polls the job every {@code pollEvery} until it stops (COMPLETED, BUDGET_EXHAUSTED, CANCELLED or FAILED),
   * calling {@code onUpdate} on this thread with the first answer and with every answer that differs from the
   * one before.
   *
   * @return the job in its final state
   * @throws InterruptedException this thread was interrupted while waiting: the job goes on
   */
  public Job watch(String jobId, Duration pollEvery, Consumer<Job> onUpdate) throws RpcException, InterruptedException {
    requireId(jobId);
    return watch(() -> jobSurvivingRestarts(jobId, pollEvery), pollEvery, onUpdate);
  }

  /**
   * The job, reconnecting when the coordinator went away (a restart: the job resumes there, so a watch should
   * too). The new session is attested from scratch against the same policy; a coordinator that fails it ends the
   * watch with the {@link dev.rampart.protocol.AttestationException}.
   */
  private Job jobSurvivingRestarts(String jobId, Duration pollEvery) throws RpcException, InterruptedException {
    try {
      return job(jobId);
    } catch (RpcException e) {
      if (target == null || !(gone(e) || keyChanged(e))) {
        throw e;
      }
      long deadline = System.nanoTime() + RECONNECT_FOR.toNanos();
      RpcException last = e;
      while (System.nanoTime() < deadline) {
        Thread.sleep(Math.max(500, pollEvery.toMillis()));
        try {
          AttestedChannel fresh = AttestedChannel.open(null, target, identity, Clock.systemUTC(), CALL_TIMEOUT);
          AttestedChannel old = channel;
          channel = fresh;
          old.close();
          return job(jobId);
        } catch (RpcException again) {
          if (!gone(again)) {
            throw again; // reached, but refused (attestation, identity): not for retrying
          }
          last = again;
        }
      }
      throw last;
    }
  }

  private static boolean gone(RpcException e) {
    return !(e instanceof dev.rampart.protocol.AttestationException)
        && (e.status() == io.vertx.grpc.common.GrpcStatus.UNAVAILABLE
            || e.status() == io.vertx.grpc.common.GrpcStatus.DEADLINE_EXCEEDED);
  }

  /** The coordinator on the other end is a new boot (its TLS key changed): attest it afresh. */
  private static boolean keyChanged(RpcException e) {
    return e instanceof dev.rampart.protocol.AttestationException && e.getMessage() != null
        && e.getMessage().contains("TLS key is not the one it attested");
  }

  /** The current state of one job (the wire, or a test's fake). */
  @FunctionalInterface
  interface JobPoll {
    Job get() throws RpcException, InterruptedException;
  }

  static Job watch(JobPoll poll, Duration pollEvery, Consumer<Job> onUpdate) throws RpcException, InterruptedException {
    Objects.requireNonNull(onUpdate, "onUpdate");
    if (pollEvery == null || pollEvery.isNegative() || pollEvery.isZero()) {
      throw new IllegalArgumentException("poll every must be a positive duration, got " + pollEvery);
    }
    Job last = null;
    while (true) {
      Job now = poll.get();
      if (!now.equals(last)) {
        onUpdate.accept(now);
        last = now;
      }
      if (isTerminal(now.getState())) {
        return now;
      }
      // a blocking client: the caller chose to wait on this thread
      Thread.sleep(pollEvery.toMillis());
    }
  }

  /** Asks the coordinator to stop the job; steps already taken stay charged to the datasets. */
  public Job cancel(String jobId) throws RpcException {
    return channel.call(Api.CANCEL_JOB, CancelJobRequest.newBuilder().setJobId(requireId(jobId)).build());
  }

  /**
   * Fetches the trained weights when the intersection of the datasets' licenses releases them to you. They come
   * in pieces; the whole file's SHA-256 must equal the one the coordinator declared, and only then is it moved
   * onto {@code out} (a temporary file in the same directory, forced to disk, renamed: {@code out} is either
   * untouched or complete; an existing file is replaced). The file is readable by you only (mode 0600).
   *
   * <p>When the licenses need the owners' approval, the first call queues the request and every call returns
   * it, not released, until all have approved (or one has denied); nothing is written then.
   *
   * @throws ModelIntegrityException the pieces do not add up to the declared file: nothing was written
   * @throws IOException {@code out} cannot be written
   */
  public FetchResult fetchModel(String jobId, Path out) throws RpcException, IOException {
    requireId(jobId);
    return fetchModel(offset -> channel.call(Api.FETCH_MODEL,
        FetchModelRequest.newBuilder().setJobId(jobId).setOffset(offset).build()), out);
  }

  /** FetchModel's answer for one offset (the wire, or a test's fake). */
  @FunctionalInterface
  interface ModelPieces {
    FetchModelResponse at(long offset) throws RpcException;
  }

  static FetchResult fetchModel(ModelPieces pieces, Path out) throws RpcException, IOException {
    Objects.requireNonNull(out, "out");
    FetchModelResponse first = pieces.at(0);
    if (!first.getReleased()) {
      return FetchResult.notReleased(first.hasApproval() ? first.getApproval() : null, first.getLicense());
    }
    try (ModelDownload download = ModelDownload.start(out, first)) {
      while (!download.complete()) {
        download.append(pieces.at(download.offset()));
      }
      String sha256 = download.commit();
      return FetchResult.released(download.destination(), download.totalBytes(), sha256, first.getLicense());
    }
  }

  /**
   * A DP estimate of the job's model's accuracy on one dataset you may evaluate on, for {@code epsilon} of
   * that dataset's budget (at its license's δ).
   */
  public EvaluateResponse evaluate(String jobId, String datasetId, double epsilon) throws RpcException {
    requireId(jobId);
    if (!TrainRequest.isDatasetId(datasetId)) {
      throw new IllegalArgumentException("'" + datasetId + "' is not a dataset id (64 lower-case hex digits);"
          + " resolveDatasetId expands a prefix");
    }
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("the epsilon to spend on an evaluation must be a finite number > 0, got "
          + epsilon);
    }
    return channel.call(Api.EVALUATE, EvaluateRequest.newBuilder().setJobId(jobId).setDatasetId(datasetId)
        .setEpsilon(epsilon).build());
  }

  private static String requireId(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("no job id given; 'rampart jobs' lists them");
    }
    return id;
  }

  /** Closes the session. */
  @Override
  public void close() {
    channel.close();
  }
}
