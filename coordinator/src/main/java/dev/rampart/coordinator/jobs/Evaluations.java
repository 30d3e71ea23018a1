package dev.rampart.coordinator.jobs;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.accountant.TargetUnreachableException;
import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.datasets.Datasets;
import dev.rampart.coordinator.identity.Identities;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.state.Event;
import dev.rampart.coordinator.state.Licenses;
import dev.rampart.coordinator.state.Recorder;
import dev.rampart.protocol.v1.*;
import dev.rampart.trainer.CryptoRandom;
import dev.rampart.trainer.DpEvaluation;
import dev.rampart.trainer.LabeledExamples;
import dev.rampart.trainer.ModelFile;
import dev.rampart.trainer.ModelValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import static dev.rampart.coordinator.jobs.JobSupport.*;

/** DP evaluation ({@code Jobs.Evaluate}): a job's model on one dataset, charged with its result before it is answered. */
public final class Evaluations {
  private static final Logger LOG = Logger.getLogger(Evaluations.class.getName());
  static final double DEFAULT_EVALUATION_EPSILON = 0.5;

  private final Recorder recorder;
  private final CoordinatorState state;
  private final Datasets datasets;
  private final JobFiles files;
  private final Clock clock;

  Evaluations(Recorder recorder, Datasets datasets, JobFiles files, Clock clock) {
    this.recorder = recorder;
    this.state = recorder.state();
    this.datasets = datasets;
    this.files = files;
    this.clock = clock;
  }

  public EvaluateResponse evaluate(Caller caller, EvaluateRequest r) throws ServiceException, IOException {
    Identities.requireRole(caller, Role.SCIENTIST);
    Job j = state.job(r.getJobId()).filter(x -> x.getScientistFingerprint().equals(caller.fingerprint()))
        .orElseThrow(() -> ServiceException.notFound("no job " + r.getJobId() + " of yours"));
    if (!Jobs.terminal(j.getState()) || !Files.exists(files.modelFile(j.getId()))) {
      throw ServiceException.precondition("job " + j.getId() + " is " + j.getState() + "; evaluate it when it has"
          + " ended");
    }
    String name = caller.principal().getName();
    Dataset d = state.dataset(r.getDatasetId()).filter(x -> datasets.visible(caller, x))
        .orElseThrow(() -> ServiceException.notFound("no dataset " + r.getDatasetId() + " visible to you"));
    if (Licenses.expired(d.license(), clock.millis()) || !d.license().getEvaluatorsList().contains(name)) {
      throw ServiceException.denied("the license of dataset " + label(d) + " does not let '" + name
          + "' evaluate on it");
    }
    // the model carries its training datasets' licenses: each must still let the caller evaluate it
    List<Dataset> trained = new ArrayList<>();
    for (String id : j.getSpec().getDatasetIdsList()) {
      trained.add(state.dataset(id).orElseThrow(() -> ServiceException.precondition("dataset " + id + " is gone")));
    }
    for (Dataset t : trained) {
      if (Licenses.expired(t.license(), clock.millis()) || !t.license().getEvaluatorsList().contains(name)) {
        throw ServiceException.denied("the license of dataset " + label(t) + ", which trained this model, does not"
            + " let '" + name + "' evaluate the model");
      }
    }
    double epsilon = r.getEpsilon() == 0 ? DEFAULT_EVALUATION_EPSILON : r.getEpsilon();
    if (!(epsilon > 0) || !Double.isFinite(epsilon) || epsilon > Licenses.MAX_EPSILON) {
      throw ServiceException.invalid("epsilon must be in (0, " + Licenses.MAX_EPSILON + "], got " + r.getEpsilon());
    }
    double delta = d.license().getDelta();
    double sigma;
    try {
      sigma = state.ledger().accountant().calibrateNoise(1.0, 1, epsilon, delta,
          dev.rampart.trainer.PrivateTraining.CALIBRATION_TOLERANCE).noiseMultiplier();
    } catch (TargetUnreachableException e) {
      throw ServiceException.invalid("epsilon " + epsilon + " is too small for one answer at δ=" + delta + ": "
          + e.getMessage());
    }
    if (state.ledger().stepsThatFit(d.id(), 1.0, sigma) < 1) {
      throw ServiceException.precondition(String.format(Locale.ROOT, "dataset %s has spent ε=%.4f of its budget"
          + " ε=%s: an answer at ε=%s does not fit", label(d), state.ledger().spent(d.id()).epsilon(),
          d.license().getEpsilon(), epsilon));
    }
    MultiLayerNetwork net;
    try {
      net = ModelFile.read(files.sealedModel(j.getId()));
    } catch (ModelValidationException e) {
      throw new IOException("the sealed model of job " + j.getId() + " does not load: " + e.getMessage(), e);
    }
    Dataset trainedOn = state.dataset(j.getSpec().getDatasetIds(0)).orElseThrow();
    if (d.manifest().getFeatures() != trainedOn.manifest().getFeatures()
        || d.manifest().getClasses() != trainedOn.manifest().getClasses()) {
      net.close();
      throw ServiceException.invalid("dataset " + label(d) + " has " + d.manifest().getFeatures() + " features and "
          + d.manifest().getClasses() + " classes; the job's model takes " + trainedOn.manifest().getFeatures()
          + " and " + trainedOn.manifest().getClasses());
    }
    LabeledExamples data;
    // check, compute, then charge and journal (checked again: another charge may have come in between), answer:
    // the answer leaves only after its cost is on disk
    Event.Charge cost = new Event.Charge(j.getId(), List.of(d.id()), 1.0, sigma, 1);
    try {
      state.ledger().check(cost.datasetIds(), cost.segment());
      data = files.load(List.of(d.id()));
    } catch (BudgetExceededException e) {
      net.close();
      throw ServiceException.precondition(e.getMessage());
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
    DpEvaluation.Result result;
    try {
      result = DpEvaluation.accuracy(net, data, sigma, CryptoRandom.create());
    } finally {
      net.close(); // native memory now, not at a later GC
    }
    List<Dataset> involved = new ArrayList<>(trained);
    involved.add(d);
    PrivacyGuarantee spent;
    try {
      spent = recorder.charge(new Event.JobEvaluated(cost, d.id(), result.accuracy(), result.noiseStddev(), epsilon),
          subjects(involved, caller.fingerprint())).get(d.id());
    } catch (BudgetExceededException e) {
      throw ServiceException.precondition(e.getMessage()); // the result is dropped unread
    }
    LOG.info(caller.describe() + " evaluated job " + j.getId() + " on dataset " + label(d) + " (ε " + epsilon + ")");
    return EvaluateResponse.newBuilder().setAccuracy(result.accuracy()).setNoiseStddev(result.noiseStddev())
        .setEpsilonCharged(epsilon).setSpent(spend(state, d).toBuilder().setEpsilon(spent.epsilon())).build();
  }

}
