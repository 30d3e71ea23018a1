package dev.rampart.agent;

import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.PolicyException;
import dev.rampart.datasets.CsvSchemaFile;
import dev.rampart.datasets.CsvSource;
import dev.rampart.datasets.DatasetFormatException;
import dev.rampart.datasets.Header;
import dev.rampart.datasets.IdxSource;
import dev.rampart.datasets.Summary;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.DecideApprovalRequest;
import dev.rampart.protocol.v1.ExportJournalRequest;
import dev.rampart.protocol.v1.ExportJournalResponse;
import dev.rampart.protocol.v1.JournalEntry;
import dev.rampart.protocol.v1.ListApprovalsRequest;
import dev.rampart.protocol.v1.ListDatasetsRequest;
import dev.rampart.protocol.v1.ListDatasetsResponse;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The data owner's agent: every session it opens is attested against the owner's policy before a byte of data
 * leaves. Publishing is idempotent (a stored dataset is not sent again; a changed license is updated).
 */
public final class PartyAgent implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(PartyAgent.class.getName());
  /** Canonical datasets are built in memory before upload; larger ones need streaming (not yet). */
  public static final long MAX_IN_MEMORY_BYTES = 1L << 31;

  private final AttestedChannel.Target target;
  private final KeyIdentity identity;
  private final Clock clock;
  private final Duration timeout;
  private final Vertx vertx = Vertx.vertx();
  private volatile boolean warnedInsecure;

  public PartyAgent(AttestedChannel.Target target, KeyIdentity identity, Clock clock, Duration timeout) {
    this.target = target;
    this.identity = identity;
    this.clock = clock;
    this.timeout = timeout;
  }

  /** From a configuration: reads the policy and the owner's key. */
  public static PartyAgent of(AgentConfig config, Clock clock) throws IOException {
    AttestationPolicy policy = readPolicy(config.policy());
    return new PartyAgent(AttestedChannel.Target.parse(config.coordinator(), policy), KeyIdentity.load(config.identity()),
        clock, Duration.ofSeconds(60));
  }

  public static AttestationPolicy readPolicy(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no policy file at " + file + " (the reference values the coordinator must match)");
    }
    try {
      return AttestationPolicy.parse(Files.readAllBytes(file));
    } catch (PolicyException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** A new attested session; throws if the coordinator fails attestation (nothing is sent then). */
  public AttestedChannel session() throws RpcException {
    AttestedChannel c = AttestedChannel.open(vertx, target, identity, clock, timeout);
    if (c.attestation().insecure() && !warnedInsecure) {
      warnedInsecure = true;
      LOG.warning("the coordinator runs in a SIMULATED TEE (allowed by the policy): nothing protects the data");
    }
    return c;
  }

  /** A dataset converted to canonical bytes, with its summary. */
  public record Canonical(byte[] bytes, Summary summary) {}

  public static Canonical canonical(AgentConfig.DatasetSpec spec) throws IOException, DatasetFormatException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Summary s;
    if (spec.idx() != null) {
      IdxSource src = IdxSource.open(spec.idx().images(), spec.idx().labels(), spec.idx().classes());
      long rows = src.header().rowCount();
      long to = spec.idx().to() < 0 ? rows : spec.idx().to();
      if (to > rows || spec.idx().from() >= rows) {
        throw new DatasetFormatException(DatasetFormatException.Problem.SHAPE, "dataset " + spec.name()
            + ": 'datasets/" + spec.name() + "/idx/"
            + (to > rows ? "to' is " + to : "from' is " + spec.idx().from()) + ", but " + spec.idx().images()
            + " has " + rows + " rows: choose rows within [0, " + rows + ")");
      }
      if (spec.idx().from() != 0 || to != rows) {
        src = src.rows(spec.idx().from(), to);
      }
      checkSize(spec.name(), src.header());
      s = src.writeCanonical(out);
    } else {
      CsvSource src = CsvSource.open(spec.csv().file(), CsvSchemaFile.read(spec.csv().schema()));
      checkSize(spec.name(), src.header());
      s = src.writeCanonical(out);
    }
    return new Canonical(out.toByteArray(), s);
  }

  private static void checkSize(String name, Header h) throws IOException {
    if (h.totalBytes() > MAX_IN_MEMORY_BYTES) {
      throw new IOException("dataset " + name + " is " + h.totalBytes() + " bytes canonical; this agent uploads up"
          + " to " + MAX_IN_MEMORY_BYTES + " (split it into several datasets)");
    }
  }

  /** Publishes every dataset of the configuration; returns what happened to each. */
  public List<Uploader.Result> publish(AgentConfig config, Uploader.Progress progress)
      throws IOException, DatasetFormatException, RpcException, InterruptedException {
    Uploader uploader = new Uploader(this::session, identity, 8, Duration.ofMillis(500));
    List<Uploader.Result> results = new ArrayList<>();
    for (AgentConfig.DatasetSpec spec : config.datasets()) {
      Canonical c = canonical(spec);
      Header h = c.summary().header();
      DatasetManifest m = uploader.manifest(spec.name(), c.bytes(), h.rowCount(), h.featureCount(), h.classCount());
      LOG.info("dataset " + spec.name() + ": " + h.rowCount() + " rows, " + h.featureCount() + " features, "
          + h.classCount() + " classes, id " + m.getDatasetId());
      Uploader.Result r = uploader.upload(m, c.bytes(), spec.license(), progress);
      LOG.info("dataset " + spec.name() + (r.uploaded() ? ": uploaded and sealed" : r.licenseChanged()
          ? ": already stored; license updated" : ": already stored, license unchanged: nothing to do"));
      results.add(r);
    }
    return results;
  }

  public ListDatasetsResponse datasets() throws RpcException {
    try (AttestedChannel c = session()) {
      return c.call(Api.LIST_DATASETS, ListDatasetsRequest.getDefaultInstance());
    }
  }

  public List<ApprovalRequest> approvals(boolean pendingOnly) throws RpcException {
    try (AttestedChannel c = session()) {
      return c.call(Api.LIST_APPROVALS, ListApprovalsRequest.newBuilder().setPendingOnly(pendingOnly).build())
          .getRequestsList();
    }
  }

  public ApprovalRequest decide(String id, boolean approve, String reason) throws RpcException {
    try (AttestedChannel c = session()) {
      return c.call(Api.DECIDE_APPROVAL, DecideApprovalRequest.newBuilder().setId(id).setApprove(approve)
          .setReason(reason == null ? "" : reason).build());
    }
  }

  /** The whole journal as this owner may see it (others' entries redacted), page by page. */
  public List<JournalEntry> exportJournal() throws RpcException {
    List<JournalEntry> out = new ArrayList<>();
    try (AttestedChannel c = session()) {
      long from = 0;
      while (true) {
        ExportJournalResponse r = c.call(Api.EXPORT_JOURNAL, ExportJournalRequest.newBuilder().setFromSeq(from).build());
        out.addAll(r.getEntriesList());
        if (r.getNextSeq() >= r.getChainLength() || r.getEntriesCount() == 0) {
          return out;
        }
        from = r.getNextSeq();
      }
    }
  }

  public KeyIdentity identity() {
    return identity;
  }

  @Override
  public void close() {
    vertx.close();
  }
}
