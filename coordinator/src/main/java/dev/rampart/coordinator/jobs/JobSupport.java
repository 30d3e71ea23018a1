package dev.rampart.coordinator.jobs;

import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.protocol.v1.*;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/** What the job capabilities share: journal subjects, license checks, labels, digests. */
final class JobSupport {
  private JobSupport() {}

  /** Why the license does not (or no longer) let this scientist train on the dataset; null when it does. */
  static String trainRefusal(Dataset d, String scientist, long nowMillis) {
    if (Licenses.expired(d.license(), nowMillis)) {
      return "the license of dataset " + label(d) + " has expired";
    }
    if (!d.license().getTrainersList().contains(scientist)) {
      return "the license of dataset " + label(d) + " does not let '" + scientist + "' train on it";
    }
    return null;
  }

  static List<String> subjects(List<Dataset> ds, String scientist) {
    LinkedHashSet<String> s = new LinkedHashSet<>();
    ds.forEach(d -> s.add(d.id()));
    s.add(scientist);
    ds.forEach(d -> s.add(d.ownerFingerprint()));
    return List.copyOf(s);
  }

  static List<String> subjects(CoordinatorState state, Job j) {
    List<Dataset> ds = new ArrayList<>();
    for (String id : j.getSpec().getDatasetIdsList()) {
      state.dataset(id).ifPresent(ds::add);
    }
    return subjects(ds, j.getScientistFingerprint());
  }

  static IUpdater updater(JobSpec spec) {
    return spec.getOptimizer() == Optimizer.ADAM ? new Adam(spec.getLearningRate()) : new Sgd(spec.getLearningRate());
  }

  static String label(Dataset d) {
    return d.label();
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }


  /** What a dataset has spent, as a job view shows it. */
  static DatasetSpend spend(CoordinatorState state, Dataset d) {
    PrivacyGuarantee g = state.ledger().spent(d.id());
    return DatasetSpend.newBuilder().setDatasetId(d.id()).setName(d.manifest().getName()).setEpsilon(g.epsilon())
        .setDelta(g.delta()).setBudgetEpsilon(d.license().getEpsilon()).build();
  }}
