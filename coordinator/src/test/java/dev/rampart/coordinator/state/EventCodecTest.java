package dev.rampart.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.coordinator.state.EventCodec.InvalidEventException;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.journal.Journal;
import dev.rampart.journal.JournalEntry;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.Job;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Typed journal events: one strict codec, and journals written before it still replay. */
class EventCodecTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String A = "a".repeat(64);
  static final String B = "b".repeat(64);
  static final String JOB = "0f8fad5b-d9cb-469f-a165-70867728950e";

  @TempDir Path dir;

  /**
   * A journal written by the coordinator before typed events (see src/test/resources/journal-v1/README.md): the
   * demo's enrolments, two uploads, approvals, a job with its charges, metrics, checkpoints and release.
   */
  @Test
  void aJournalWrittenBeforeTypedEvents_replaysIntoTheSameState() throws Exception {
    for (String f : List.of("journal.sealed", SealingKeys.FILE_NAME)) {
      try (var in = getClass().getResourceAsStream("/journal-v1/" + f)) {
        Files.copy(in, dir.resolve(f));
      }
    }
    SealingKeys keys = SealingKeys.loadOrCreate(dir.resolve(SealingKeys.FILE_NAME), false);
    CoordinatorState state = new CoordinatorState();
    Map<String, Integer> types = new TreeMap<>();
    try (Journal journal = Journal.open(dir.resolve("journal.sealed"), keys.aead())) {
      for (JournalEntry e : journal.entries()) {
        var event = EventCodec.decode(e.type(), e.payloadJson());
        types.merge(e.type(), 1, Integer::sum);
        event.ifPresent(x -> state.apply(x, e.timeMillis()));
        // what today's codec writes for it is what was written then (the journal layout did not change)
        if (event.isPresent()) {
          assertThat(JSON.writeValueAsString(EventCodec.encode(event.get())))
              .isEqualTo(JSON.writeValueAsString(withoutSubjects(e.payloadJson())));
        }
      }
    }
    assertThat(types).containsKeys("boot", "principal.enrolled", "dataset.stored", "approval.requested",
        "approval.decided", "job.submitted", "job.started", "privacy.charged", "job.metrics", "job.checkpointed",
        "job.finished", "model.released");
    assertThat(state.principals()).extracting(p -> p.getName())
        .containsExactlyInAnyOrder("admin", "hospital-a", "hospital-b", "alice");
    assertThat(state.datasets()).hasSize(2);
    Job job = state.jobs().get(0);
    assertThat(job.getState()).isEqualTo(JobState.COMPLETED);
    assertThat(job.getMetricsCount()).isEqualTo(2);
    assertThat(job.getStep()).isEqualTo(job.getTotalSteps());
    assertThat(state.trainStepsCharged(job.getId())).isEqualTo(job.getTotalSteps());
    assertThat(state.approvals()).singleElement().extracting(a -> a.getState()).isEqualTo(ApprovalState.APPROVED);
    // the demo printed epsilon[hospital-a]=2.9992 epsilon[hospital-b]=2.9992 for this run
    for (var d : state.datasets()) {
      assertThat(state.ledger().spent(d.id()).epsilon()).isCloseTo(2.9992, within(5e-5));
      assertThat(state.ledger().budget(d.id()).epsilon()).isEqualTo(3.0);
    }
  }

  private static JsonNode withoutSubjects(JsonNode payload) {
    ObjectNode copy = payload.deepCopy();
    copy.remove("subjects");
    copy.remove("salt");
    return copy;
  }

  static Event.Charge charge(long steps) {
    return new Event.Charge(JOB, List.of(A, B), 0.0128, 1.07, steps);
  }

  static List<Event> everyType() {
    DatasetManifest m = DatasetManifest.newBuilder().setDatasetId(A).setName("x").setCanonicalBytes(100).setRows(3)
        .setFeatures(2).setClasses(2).build();
    License l = License.newBuilder().setEpsilon(3).setDelta(1e-5).addTrainers("alice").build();
    return List.of(
        new Event.PrincipalEnrolled(A, Role.ADMIN, "admin", ""),
        new Event.PrincipalEnrolled(B, Role.OWNER, "hospital-a", A),
        new Event.PrincipalRevoked(B, A),
        new Event.DatasetStored(m, B, l),
        new Event.LicenseSet(A, l.toBuilder().setEpsilon(1).build()),
        new Event.ApprovalRequested("r1", "weight-release", JOB, A, "alice", List.of(A), List.of(B)),
        new Event.ApprovalDecided("r1", B, "hospital-a", false, "not yet"),
        new Event.JobSubmitted(JOB, A, "alice", "c".repeat(64), 2345, 0.0128, 1.07,
            JobSpec.newBuilder().addDatasetIds(A).setSteps(2345).setBatchSize(256).build()),
        new Event.JobStarted(JOB, 0),
        new Event.PrivacyCharged(charge(50), Event.PrivacyCharged.TRAIN, null, null),
        new Event.PrivacyCharged(charge(7), Event.PrivacyCharged.RECOVERED, 150L, 143L),
        new Event.JobMetrics(charge(1), 100, 0.61, 0.78),
        new Event.JobCheckpointed(JOB, 50),
        new Event.JobCancelRequested(JOB, "alice"),
        new Event.JobFinished(JOB, JobState.CANCELLED, "cancelled by alice at step 51", 51),
        new Event.ModelReleased(JOB, A, "alice", "", "d".repeat(64), 817096),
        new Event.JobEvaluated(new Event.Charge(JOB, List.of(A), 1.0, 4.2, 1), A, 0.8, 0.01, 0.5));
  }

  @Test
  void everyEventType_roundTrips() throws Exception {
    for (Event e : everyType()) {
      JsonNode written = JSON.readTree(JSON.writeValueAsString(EventCodec.encode(e)));
      assertThat(EventCodec.decode(e.type(), written)).as(e.type()).contains(e);
    }
  }

  /** The four types the fixture journal lacks, as the coordinator wrote them before typed events. */
  @Test
  void version1PayloadsOfTheOtherTypes_decode() throws Exception {
    assertThat(decode("principal.revoked", "{\"fingerprint\":\"" + B + "\",\"by\":\"" + A + "\",\"subjects\":[\"" + B
        + "\"]}")).isEqualTo(new Event.PrincipalRevoked(B, A));
    assertThat(decode("license.set", "{\"datasetId\":\"" + A + "\",\"license\":{\"epsilon\":1.0,\"delta\":1e-05},"
        + "\"subjects\":[]}")).isEqualTo(new Event.LicenseSet(A, License.newBuilder().setEpsilon(1).setDelta(1e-5)
        .build()));
    assertThat(decode("job.cancel-requested", "{\"job\":\"" + JOB + "\",\"by\":\"alice\",\"subjects\":[]}"))
        .isEqualTo(new Event.JobCancelRequested(JOB, "alice"));
    assertThat(decode("job.evaluated", "{\"job\":\"" + JOB + "\",\"datasetId\":\"" + A + "\",\"sampleRate\":1.0,"
        + "\"noiseMultiplier\":4.2,\"accuracy\":0.8,\"noiseStddev\":0.01,\"epsilon\":0.5,\"datasetIds\":[\"" + A
        + "\"],\"subjects\":[]}")).isEqualTo(new Event.JobEvaluated(new Event.Charge(JOB, List.of(A), 1.0, 4.2, 1),
        A, 0.8, 0.01, 0.5));
    // the boot admin was journaled without "by"
    assertThat(decode("principal.enrolled", "{\"fingerprint\":\"" + A + "\",\"role\":\"ADMIN\",\"name\":\"admin\"}"))
        .isEqualTo(new Event.PrincipalEnrolled(A, Role.ADMIN, "admin", ""));
  }

  static Event decode(String type, String json) throws Exception {
    return EventCodec.decode(type, JSON.readTree(json)).orElseThrow();
  }

  @Test
  void aMissingMistypedOrUnknownField_anUnknownTypeOrAFutureVersion_isAnErrorNamingIt() throws Exception {
    String ok = "{\"job\":\"" + JOB + "\",\"step\":50}";
    assertThat(decode("job.checkpointed", ok)).isEqualTo(new Event.JobCheckpointed(JOB, 50));
    List<String[]> bad = new ArrayList<>();
    bad.add(new String[] {"job.checkpointed", "{\"job\":\"" + JOB + "\"}", "field 'step' is missing"});
    bad.add(new String[] {"job.checkpointed", "{\"job\":\"" + JOB + "\",\"step\":\"50\"}", "'step' must be a whole number"});
    bad.add(new String[] {"job.checkpointed", "{\"job\":\"" + JOB + "\",\"step\":50.5}", "'step' must be a whole number"});
    bad.add(new String[] {"job.checkpointed", "{\"job\":7,\"step\":50}", "'job' must be a string"});
    bad.add(new String[] {"job.checkpointed", "{\"job\":\"" + JOB + "\",\"step\":50,\"stpe\":1}", "'stpe' is not one"});
    bad.add(new String[] {"job.checkpointed", "{\"job\":\"" + JOB + "\",\"step\":50,\"v\":2}", "payload version 2"});
    bad.add(new String[] {"job.teleported", "{\"job\":\"" + JOB + "\"}", "not one this coordinator knows"});
    bad.add(new String[] {"job.finished", "{\"job\":\"" + JOB + "\",\"state\":\"EXPLODED\",\"message\":\"\","
        + "\"step\":1}", "'state' is 'EXPLODED', not a JobState"});
    bad.add(new String[] {"privacy.charged", "{\"job\":\"" + JOB + "\",\"sampleRate\":0.1,\"noiseMultiplier\":1.0,"
        + "\"steps\":5,\"datasetIds\":[],\"purpose\":\"train\"}", "at least one dataset"});
    bad.add(new String[] {"privacy.charged", "{\"job\":\"" + JOB + "\",\"sampleRate\":0.1,\"noiseMultiplier\":1.0,"
        + "\"steps\":5,\"datasetIds\":[\"" + A + "\"],\"purpose\":\"free\"}", "'purpose' is 'free'"});
    bad.add(new String[] {"approval.decided", "{\"id\":\"r\",\"owner\":\"o\",\"ownerName\":\"n\",\"approve\":\"yes\","
        + "\"reason\":\"\"}", "'approve' must be true or false"});
    bad.add(new String[] {"dataset.stored", "{\"manifest\":{\"rows\":\"many\"},\"owner\":\"o\",\"license\":{}}",
        "'manifest' does not parse"});
    for (String[] b : bad) {
      assertThatThrownBy(() -> decode(b[0], b[1])).as(b[1]).isInstanceOf(InvalidEventException.class)
          .hasMessageContaining("journal entry '" + b[0] + "'").hasMessageContaining(b[2]);
    }
    assertThat(EventCodec.decode("boot", JSON.readTree("{\"anything\":1}"))).isEmpty();
    assertThat(EventCodec.decode("journal.recovered", JSON.readTree("{\"tornBytesDropped\":3}"))).isEmpty();
  }

  /** What Recorder.record reads back before it appends: a non-finite number never reaches the journal. */
  @Test
  void anEventTheCodecCouldNotReadBack_isRefusedBeforeItIsWritten() {
    Event nan = new Event.JobMetrics(charge(1), 100, Double.NaN, 0.5);
    assertThatThrownBy(() -> EventCodec.decode(nan.type(), EventCodec.encode(nan)))
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("field 'loss' is not finite");
  }

  @Test
  void everyChargeReachesTheLedgerThroughApply_andOnlyTrainingChargesCountAsTrainingSteps() throws Exception {
    CoordinatorState state = new CoordinatorState();
    License l = License.newBuilder().setEpsilon(100).setDelta(1e-5).build();
    for (String id : List.of(A, B)) {
      state.apply(new Event.DatasetStored(DatasetManifest.newBuilder().setDatasetId(id).build(), "o", l), 1);
    }
    state.apply(new Event.PrivacyCharged(charge(50), Event.PrivacyCharged.TRAIN, null, null), 2);
    state.apply(new Event.JobMetrics(charge(1), 50, 0.5, 0.5), 3);
    state.apply(new Event.PrivacyCharged(charge(7), Event.PrivacyCharged.RECOVERED, 57L, 50L), 4);
    state.apply(new Event.JobEvaluated(new Event.Charge(JOB, List.of(A), 1.0, 4.2, 1), A, 0.8, 0.01, 0.5), 5);
    assertThat(state.trainStepsCharged(JOB)).isEqualTo(57);
    var expectedB = dev.rampart.accountant.RdpAccountant.defaults().epsilon(0.0128, 1.07, 58, 1e-5).epsilon();
    assertThat(state.ledger().spent(B).epsilon()).isEqualTo(expectedB);
    assertThat(state.ledger().history(A).segments()).hasSize(2); // (q, σ) × 58 and the evaluation's (1, 4.2) × 1
    assertThat(state.ledger().spent(A).epsilon()).isGreaterThan(expectedB);
  }
}
