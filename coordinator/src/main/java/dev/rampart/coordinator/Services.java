package dev.rampart.coordinator;

import dev.rampart.coordinator.approvals.Approvals;
import dev.rampart.coordinator.audit.Audit;
import dev.rampart.coordinator.datasets.Datasets;
import dev.rampart.coordinator.datasets.Uploads;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.jobs.Evaluations;
import dev.rampart.coordinator.jobs.Jobs;
import dev.rampart.coordinator.jobs.WeightReleases;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.coordinator.tee.Attestations;
import dev.rampart.coordinator.tee.Attester;
import dev.rampart.journal.Journal;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The coordinator's capabilities, one per package, wired once at boot: what each RPC calls (the {@code rpc} package
 * maps them to gRPC). Every one of them changes state only through the {@link Recorder}: journal first, then apply.
 *
 * @param attestations {@code tee}: evidence for the Attest call
 * @param identities {@code identity}: principals and roles
 * @param uploads {@code datasets}: resumable uploads into sealed storage
 * @param datasets {@code datasets}: stored datasets and their licenses
 * @param approvals {@code approvals}: owners' approvals
 * @param audit {@code audit}: the journal export
 * @param jobs {@code jobs}: submission, listing, cancelling, and the runner behind them
 * @param releases {@code jobs}: weight release
 * @param evaluations {@code jobs}: DP evaluation
 */
public record Services(Recorder recorder, Attestations attestations, Identities identities, Uploads uploads,
    Datasets datasets, Approvals approvals, Audit audit, Jobs jobs, WeightReleases releases,
    Evaluations evaluations) {

  /** Builds every capability over one journal and the state replayed from it. */
  public static Services wire(CoordinatorState state, Journal journal, DatasetStore store, SealingKeys keys,
      Attester attester, byte[] measurement, Path stateDir, int jobThreads, Clock clock) throws IOException {
    Recorder recorder = new Recorder(journal, state);
    Datasets datasets = new Datasets(recorder, clock);
    Approvals approvals = new Approvals(recorder, datasets);
    Jobs.Capabilities jobs = Jobs.open(recorder, datasets, approvals, store, keys, stateDir, jobThreads, clock);
    return new Services(recorder, new Attestations(attester, measurement), new Identities(recorder),
        new Uploads(recorder, store, datasets, clock), datasets, approvals, new Audit(journal, state), jobs.jobs(),
        jobs.releases(), jobs.evaluations());
  }

  public CoordinatorState state() {
    return recorder.state();
  }
}
