package dev.rampart.coordinator.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.rampart.coordinator.state.Event.ApprovalDecided;
import dev.rampart.coordinator.state.Event.ApprovalRequested;
import dev.rampart.coordinator.state.Event.Charge;
import dev.rampart.coordinator.state.Event.DatasetStored;
import dev.rampart.coordinator.state.Event.JobCancelRequested;
import dev.rampart.coordinator.state.Event.JobCheckpointed;
import dev.rampart.coordinator.state.Event.JobEvaluated;
import dev.rampart.coordinator.state.Event.JobFinished;
import dev.rampart.coordinator.state.Event.JobMetrics;
import dev.rampart.coordinator.state.Event.JobStarted;
import dev.rampart.coordinator.state.Event.JobSubmitted;
import dev.rampart.coordinator.state.Event.LicenseSet;
import dev.rampart.coordinator.state.Event.ModelReleased;
import dev.rampart.coordinator.state.Event.PrincipalEnrolled;
import dev.rampart.coordinator.state.Event.PrincipalRevoked;
import dev.rampart.coordinator.state.Event.PrivacyCharged;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Role;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one way {@link Event}s are written into journal payloads and read back. Reading is strict: every field an
 * event needs must be there with its JSON type, and a field the event does not know is an error, so a damaged or
 * foreign payload stops the boot with a message naming the entry and the field instead of turning into zeros.
 *
 * <p>Versioned: a payload carries {@code "v"} when its layout is not version 1; every payload written so far is
 * version 1 (the layout of the journals written before these records existed, which must always replay:
 * {@code EventCodecTest} replays one), so none carries it. A later layout of an entry type gets a new version here,
 * and the reader keeps reading every older one.
 */
public final class EventCodec {
  /** The payload layout this coordinator writes. */
  public static final int VERSION = 1;

  private static final ObjectMapper JSON = dev.rampart.common.StrictJson.MAPPER;
  /** Entry types of the journal itself (boot records, torn-tail recovery): not state events. */
  private static final Set<String> JOURNAL_TYPES = Set.of(dev.rampart.journal.JournalEntry.BOOT, "journal.recovered");

  private EventCodec() {}

  /** A payload that does not decode: the entry, the field and what is wrong. */
  public static final class InvalidEventException extends IOException {
    private static final long serialVersionUID = 1L;

    InvalidEventException(String message) {
      super(message);
    }
  }

  /** The payload fields for an event (the journal adds its subjects). */
  public static ObjectNode encode(Event event) {
    ObjectNode f = JSON.createObjectNode();
    if (event instanceof PrincipalEnrolled e) {
      f.put("fingerprint", e.fingerprint()).put("role", e.role().name()).put("name", e.name());
      if (!e.by().isEmpty()) {
        f.put("by", e.by());
      }
    } else if (event instanceof PrincipalRevoked e) {
      f.put("fingerprint", e.fingerprint()).put("by", e.by());
    } else if (event instanceof DatasetStored e) {
      f.set("manifest", proto(e.manifest()));
      f.put("owner", e.owner());
      f.set("license", proto(e.license()));
    } else if (event instanceof LicenseSet e) {
      f.put("datasetId", e.datasetId());
      f.set("license", proto(e.license()));
    } else if (event instanceof ApprovalRequested e) {
      f.put("id", e.id()).put("kind", e.kind()).put("subject", e.subject()).put("requester", e.requester())
          .put("requesterName", e.requesterName());
      strings(f.putArray("datasetIds"), e.datasetIds());
      strings(f.putArray("pendingOwners"), e.pendingOwners());
    } else if (event instanceof ApprovalDecided e) {
      f.put("id", e.id()).put("owner", e.owner()).put("ownerName", e.ownerName()).put("approve", e.approve())
          .put("reason", e.reason());
    } else if (event instanceof JobSubmitted e) {
      f.put("id", e.id()).put("scientist", e.scientist()).put("scientistName", e.scientistName())
          .put("modelSha256", e.modelSha256()).put("totalSteps", e.totalSteps()).put("sampleRate", e.sampleRate())
          .put("noiseMultiplier", e.noiseMultiplier());
      f.set("spec", proto(e.spec()));
    } else if (event instanceof JobStarted e) {
      f.put("job", e.job()).put("fromStep", e.fromStep());
    } else if (event instanceof PrivacyCharged e) {
      charge(f, e.charge(), true).put("purpose", e.purpose());
      if (e.checkpointStep() != null) {
        f.put("checkpointStep", e.checkpointStep());
      }
      if (e.journalCharged() != null) {
        f.put("journalCharged", e.journalCharged());
      }
    } else if (event instanceof JobMetrics e) {
      charge(f, e.charge(), false).put("step", e.step()).put("loss", e.loss()).put("accuracy", e.accuracy());
    } else if (event instanceof JobCheckpointed e) {
      f.put("job", e.job()).put("step", e.step());
    } else if (event instanceof JobCancelRequested e) {
      f.put("job", e.job()).put("by", e.by());
    } else if (event instanceof JobFinished e) {
      f.put("job", e.job()).put("state", e.state().name()).put("message", e.message()).put("step", e.step());
    } else if (event instanceof ModelReleased e) {
      f.put("job", e.job()).put("to", e.to()).put("toName", e.toName()).put("approval", e.approval())
          .put("modelSha256", e.modelSha256()).put("bytes", e.bytes());
    } else if (event instanceof JobEvaluated e) {
      charge(f, e.charge(), false).put("datasetId", e.datasetId()).put("accuracy", e.accuracy())
          .put("noiseStddev", e.noiseStddev()).put("epsilon", e.epsilon());
    } else {
      throw new IllegalArgumentException("no encoding for " + event.getClass().getSimpleName());
    }
    return f;
  }

  /**
   * The event a journal entry holds; empty for the journal's own entries (boot, recovery).
   *
   * @throws InvalidEventException for an unknown entry type (a newer coordinator's), an unknown payload version, a
   *     missing, mistyped or unexpected field
   */
  public static Optional<Event> decode(String type, JsonNode payload) throws InvalidEventException {
    if (JOURNAL_TYPES.contains(type)) {
      return Optional.empty();
    }
    Reader r = new Reader(type, payload);
    int version = r.optionalInt("v", VERSION);
    if (version != VERSION) {
      throw r.invalid("payload version " + version + " is not one this coordinator reads (it reads " + VERSION
          + "): it was written by a newer Rampart; run that version");
    }
    Event e = switch (type) {
      case "principal.enrolled" -> new PrincipalEnrolled(r.text("fingerprint"), r.enumValue("role", Role.class),
          r.text("name"), r.optionalText("by", ""));
      case "principal.revoked" -> new PrincipalRevoked(r.text("fingerprint"), r.text("by"));
      case "dataset.stored" -> new DatasetStored(r.proto("manifest", DatasetManifest.newBuilder()), r.text("owner"),
          r.proto("license", License.newBuilder()));
      case "license.set" -> new LicenseSet(r.text("datasetId"), r.proto("license", License.newBuilder()));
      case "approval.requested" -> new ApprovalRequested(r.text("id"), r.text("kind"), r.text("subject"),
          r.text("requester"), r.text("requesterName"), r.texts("datasetIds"), r.texts("pendingOwners"));
      case "approval.decided" -> new ApprovalDecided(r.text("id"), r.text("owner"), r.text("ownerName"),
          r.bool("approve"), r.text("reason"));
      case "job.submitted" -> new JobSubmitted(r.text("id"), r.text("scientist"), r.text("scientistName"),
          r.text("modelSha256"), r.wholeNumber("totalSteps"), r.number("sampleRate"), r.number("noiseMultiplier"),
          r.proto("spec", JobSpec.newBuilder()));
      case "job.started" -> new JobStarted(r.text("job"), r.wholeNumber("fromStep"));
      case "privacy.charged" -> new PrivacyCharged(r.charge(r.wholeNumber("steps")), r.oneOf("purpose",
          PrivacyCharged.TRAIN, PrivacyCharged.RECOVERED), r.optionalWholeNumber("checkpointStep"),
          r.optionalWholeNumber("journalCharged"));
      case "job.metrics" -> new JobMetrics(r.charge(1), r.wholeNumber("step"), r.number("loss"), r.number("accuracy"));
      case "job.checkpointed" -> new JobCheckpointed(r.text("job"), r.wholeNumber("step"));
      case "job.cancel-requested" -> new JobCancelRequested(r.text("job"), r.optionalText("by", ""));
      case "job.finished" -> new JobFinished(r.text("job"), r.enumValue("state", JobState.class), r.text("message"),
          r.wholeNumber("step"));
      case "model.released" -> new ModelReleased(r.text("job"), r.text("to"), r.text("toName"), r.text("approval"),
          r.text("modelSha256"), r.wholeNumber("bytes"));
      case "job.evaluated" -> new JobEvaluated(r.charge(1), r.text("datasetId"), r.number("accuracy"),
          r.number("noiseStddev"), r.number("epsilon"));
      default -> throw r.invalid("the entry type is not one this coordinator knows: it was written by a newer"
          + " Rampart, or the journal is not a Rampart coordinator's");
    };
    r.requireNoOtherFields();
    return Optional.of(e);
  }

  private static ObjectNode charge(ObjectNode f, Charge c, boolean withSteps) {
    f.put("job", c.job()).put("sampleRate", c.sampleRate()).put("noiseMultiplier", c.noiseMultiplier());
    if (withSteps) {
      f.put("steps", c.steps());
    }
    strings(f.putArray("datasetIds"), c.datasetIds());
    return f;
  }

  private static void strings(ArrayNode a, List<String> values) {
    values.forEach(a::add);
  }

  private static JsonNode proto(Message m) {
    try {
      return JSON.readTree(JsonFormat.printer().omittingInsignificantWhitespace().print(m));
    } catch (IOException e) {
      throw new IllegalStateException("a protobuf value does not print as JSON", e);
    }
  }

  /** Reads one payload's fields strictly, remembering which it read. */
  private static final class Reader {
    private final String type;
    private final JsonNode payload;
    /** Fields read so far, starting with the journal's own ("subjects", "salt") and the version. */
    private final Set<String> read = new TreeSet<>(Set.of("subjects", "salt", "v"));

    Reader(String type, JsonNode payload) throws InvalidEventException {
      this.type = type;
      this.payload = payload;
      if (payload == null || !payload.isObject()) {
        throw invalid("the payload is not a JSON object");
      }
    }

    InvalidEventException invalid(String what) {
      return new InvalidEventException("journal entry '" + type + "': " + what);
    }

    private JsonNode field(String name) throws InvalidEventException {
      read.add(name);
      JsonNode n = payload.get(name);
      if (n == null || n.isNull()) {
        throw invalid("field '" + name + "' is missing");
      }
      return n;
    }

    String text(String name) throws InvalidEventException {
      JsonNode n = field(name);
      if (!n.isTextual()) {
        throw invalid("field '" + name + "' must be a string, it is " + n.getNodeType());
      }
      return n.asText();
    }

    String optionalText(String name, String absent) throws InvalidEventException {
      return payload.has(name) ? text(name) : absent(name, absent);
    }

    private <T> T absent(String name, T value) {
      read.add(name);
      return value;
    }

    String oneOf(String name, String... allowed) throws InvalidEventException {
      String s = text(name);
      if (!List.of(allowed).contains(s)) {
        throw invalid("field '" + name + "' is '" + s + "', not one of " + List.of(allowed));
      }
      return s;
    }

    long wholeNumber(String name) throws InvalidEventException {
      JsonNode n = field(name);
      if (!n.isIntegralNumber() || !n.canConvertToLong()) {
        throw invalid("field '" + name + "' must be a whole number, it is " + n);
      }
      return n.asLong();
    }

    Long optionalWholeNumber(String name) throws InvalidEventException {
      return payload.has(name) ? Long.valueOf(wholeNumber(name)) : absent(name, null);
    }

    int optionalInt(String name, int absent) throws InvalidEventException {
      if (!payload.has(name)) {
        return absent;
      }
      long v = wholeNumber(name);
      if (v < 1 || v > Integer.MAX_VALUE) {
        throw invalid("field '" + name + "' is " + v + ", not a version");
      }
      return (int) v;
    }

    double number(String name) throws InvalidEventException {
      JsonNode n = field(name);
      if (!n.isNumber()) {
        throw invalid("field '" + name + "' must be a number, it is " + n.getNodeType());
      }
      double d = n.asDouble();
      if (!Double.isFinite(d)) {
        throw invalid("field '" + name + "' is not finite");
      }
      return d;
    }

    boolean bool(String name) throws InvalidEventException {
      JsonNode n = field(name);
      if (!n.isBoolean()) {
        throw invalid("field '" + name + "' must be true or false, it is " + n);
      }
      return n.asBoolean();
    }

    List<String> texts(String name) throws InvalidEventException {
      JsonNode n = field(name);
      if (!n.isArray()) {
        throw invalid("field '" + name + "' must be an array of strings");
      }
      List<String> out = new ArrayList<>();
      for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
        JsonNode s = it.next();
        if (!s.isTextual()) {
          throw invalid("field '" + name + "' must hold strings only, it holds " + s);
        }
        out.add(s.asText());
      }
      return out;
    }

    <E extends Enum<E>> E enumValue(String name, Class<E> type) throws InvalidEventException {
      String s = text(name);
      try {
        return Enum.valueOf(type, s);
      } catch (IllegalArgumentException e) {
        throw invalid("field '" + name + "' is '" + s + "', not a " + type.getSimpleName());
      }
    }

    @SuppressWarnings("unchecked")
    <T extends Message> T proto(String name, Message.Builder builder) throws InvalidEventException {
      JsonNode n = field(name);
      if (!n.isObject()) {
        throw invalid("field '" + name + "' must be an object");
      }
      try {
        JsonFormat.parser().merge(n.toString(), builder);
        return (T) builder.build();
      } catch (InvalidProtocolBufferException e) {
        throw invalid("field '" + name + "' does not parse as " + builder.getDescriptorForType().getName() + ": "
            + e.getMessage());
      }
    }

    Charge charge(long steps) throws InvalidEventException {
      List<String> ids = texts("datasetIds");
      if (ids.isEmpty() || steps < 1) {
        throw invalid("a charge needs at least one dataset and one step");
      }
      return new Charge(text("job"), ids, number("sampleRate"), number("noiseMultiplier"), steps);
    }

    void requireNoOtherFields() throws InvalidEventException {
      for (Iterator<String> it = payload.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!read.contains(name)) {
          throw invalid("field '" + name + "' is not one this entry type has");
        }
      }
    }
  }
}
