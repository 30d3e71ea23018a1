package dev.rampart.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.MetricsRelease;
import dev.rampart.protocol.v1.WeightRelease;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The party agent's configuration ({@code agent.yaml}): where the coordinator is, which policy (reference
 * values) it must satisfy, the owner's key, and the datasets to publish with their licenses. Relative paths are
 * relative to the file. Unknown keys are errors, so a typo cannot silently loosen a license. See
 * docs/party-agent.md for an annotated example.
 */
public record AgentConfig(String coordinator, Path policy, Path identity, List<DatasetSpec> datasets) {

  /** One dataset to publish: its name, where the rows are, and its license. */
  public record DatasetSpec(String name, IdxSpec idx, CsvSpec csv, License license) {}

  /** IDX images + labels (MNIST layout), optionally a row range [from, to). */
  public record IdxSpec(Path images, Path labels, int classes, long from, long to) {}

  /** A CSV file and its schema file. */
  public record CsvSpec(Path file, Path schema) {}

  // ---- the YAML shape ----

  @JsonIgnoreProperties(ignoreUnknown = false)
  static final class Raw {
    @JsonProperty(required = true) public String coordinator;
    @JsonProperty(required = true) public String policy;
    @JsonProperty(required = true) public String identity;
    public List<RawDataset> datasets = List.of();
  }

  static final class RawDataset {
    @JsonProperty(required = true) public String name;
    public RawIdx idx;
    public RawCsv csv;
    @JsonProperty(required = true) public RawLicense license;
  }

  static final class RawIdx {
    @JsonProperty(required = true) public String images;
    @JsonProperty(required = true) public String labels;
    public int classes = 10;
    public Long from;
    public Long to;
  }

  static final class RawCsv {
    @JsonProperty(required = true) public String file;
    @JsonProperty(required = true) public String schema;
  }

  static final class RawLicense {
    public List<String> listers = List.of();
    public List<String> trainers = List.of();
    public List<String> evaluators = List.of();
    public boolean dpRequired = true;
    @JsonProperty(required = true) public Double epsilon;
    @JsonProperty(required = true) public Double delta;
    public String weightRelease = "never";
    public List<String> releaseTo = List.of();
    public String metricsRelease = "dp-only";
    public String expires;
  }

  private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();

  /** Reads and validates {@code agent.yaml}; errors name the key and say what is allowed. */
  public static AgentConfig read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(file + " does not exist (see docs/party-agent.md for an example agent.yaml)");
    }
    if (Files.size(file) > 1 << 20) {
      throw new ConfigException(file + " is over 1 MiB: not an agent configuration");
    }
    Raw raw;
    try {
      raw = YAML.readValue(Files.readString(file), Raw.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(file + ": " + e.getOriginalMessage() + " at " + path(e));
    } catch (JsonProcessingException e) {
      throw new ConfigException(file + " is not valid YAML: " + e.getOriginalMessage());
    }
    if (raw == null) {
      throw new ConfigException(file + " is empty");
    }
    // Jackson does not enforce required properties on fields: every one is checked here
    require(file, "coordinator", raw.coordinator);
    require(file, "policy", raw.policy);
    require(file, "identity", raw.identity);
    if (raw.datasets == null) {
      throw new ConfigException(file + ": 'datasets' is empty; list the datasets to publish (or [] for none)");
    }
    Path base = file.toAbsolutePath().getParent();
    List<DatasetSpec> specs = new java.util.ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (RawDataset d : raw.datasets) {
      if (d == null) {
        throw new ConfigException(file + ": an empty entry under 'datasets'");
      }
      String where = file + ": dataset '" + d.name + "'";
      if (d.license == null) {
        throw new ConfigException(where + " has no 'license' (who may use it, and its epsilon/delta budget)");
      }
      if (d.name == null || !d.name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ConfigException(file + ": a dataset name is 1-64 of A-Z a-z 0-9 . _ -, got '" + d.name + "'");
      }
      if (!names.add(d.name)) {
        throw new ConfigException(where + " appears twice");
      }
      if ((d.idx == null) == (d.csv == null)) {
        throw new ConfigException(where + " needs exactly one of 'idx' or 'csv'");
      }
      IdxSpec idx = null;
      if (d.idx != null) {
        require(file, "datasets/" + d.name + "/idx/images", d.idx.images);
        require(file, "datasets/" + d.name + "/idx/labels", d.idx.labels);
        long from = d.idx.from == null ? 0 : d.idx.from;
        long to = d.idx.to == null ? -1 : d.idx.to;
        if (from < 0 || (to >= 0 && to <= from)) {
          throw new ConfigException(where + ": idx rows [from, to) must have 0 <= from < to");
        }
        if (d.idx.classes < 2 || d.idx.classes > 65_535) {
          throw new ConfigException(file + ": 'datasets/" + d.name + "/idx/classes' must be 2 to 65535 (the number of"
              + " distinct labels), got " + d.idx.classes);
        }
        idx = new IdxSpec(base.resolve(d.idx.images), base.resolve(d.idx.labels), d.idx.classes, from, to);
      }
      if (d.csv != null) {
        require(file, "datasets/" + d.name + "/csv/file", d.csv.file);
        require(file, "datasets/" + d.name + "/csv/schema", d.csv.schema);
      }
      CsvSpec csv = d.csv == null ? null : new CsvSpec(base.resolve(d.csv.file), base.resolve(d.csv.schema));
      License license = license(where, d.license);
      // the files last: a typo in the license is reported even before the data is in place
      if (idx != null) {
        requireFile(file, "datasets/" + d.name + "/idx/images", idx.images());
        requireFile(file, "datasets/" + d.name + "/idx/labels", idx.labels());
      } else {
        requireFile(file, "datasets/" + d.name + "/csv/file", csv.file());
        requireFile(file, "datasets/" + d.name + "/csv/schema", csv.schema());
      }
      specs.add(new DatasetSpec(d.name, idx, csv, license));
    }
    return new AgentConfig(raw.coordinator, base.resolve(raw.policy), base.resolve(raw.identity), List.copyOf(specs));
  }

  private static String path(JsonMappingException e) {
    StringBuilder s = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      s.append(r.getFieldName() != null ? "/" + r.getFieldName() : "[" + r.getIndex() + "]");
    }
    return s.length() == 0 ? "the top level" : s.toString();
  }

  /** A file a key names must be there and readable: said now, naming the key, not as a stack trace later. */
  private static void requireFile(Path file, String key, Path named) throws ConfigException {
    if (!Files.isRegularFile(named)) {
      throw new ConfigException(file + ": '" + key + "' names " + named + ", which does not exist (or is not a file)");
    }
    if (!Files.isReadable(named)) {
      throw new ConfigException(file + ": '" + key + "' names " + named + ", which this user cannot read");
    }
  }

  private static void require(Path file, String key, Object value) throws ConfigException {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new ConfigException(file + ": '" + key + "' is required (see docs/party-agent.md)");
    }
  }

  static License license(String where, RawLicense l) throws ConfigException {
    if (l.epsilon == null || l.delta == null) {
      throw new ConfigException(where + ": the license needs 'epsilon' and 'delta' (the privacy budget)");
    }
    for (List<String> names : java.util.Arrays.asList(l.listers, l.trainers, l.evaluators, l.releaseTo)) {
      if (names == null || names.stream().anyMatch(java.util.Objects::isNull)) {
        throw new ConfigException(where + ": license lists (listers, trainers, evaluators, releaseTo) must be"
            + " lists of names, e.g. [alice]");
      }
    }
    if (l.weightRelease == null || l.metricsRelease == null) {
      throw new ConfigException(where + ": weightRelease and metricsRelease may not be empty");
    }
    License.Builder b = License.newBuilder().addAllListers(l.listers).addAllTrainers(l.trainers)
        .addAllEvaluators(l.evaluators).setDpRequired(l.dpRequired).setEpsilon(l.epsilon).setDelta(l.delta)
        .addAllReleaseTo(l.releaseTo);
    b.setWeightRelease(switch (l.weightRelease) {
      case "never" -> WeightRelease.NEVER;
      case "to-named" -> WeightRelease.TO_NAMED;
      case "after-owner-approval" -> WeightRelease.AFTER_OWNER_APPROVAL;
      default -> throw new ConfigException(where + ": license weightRelease must be never, to-named or"
          + " after-owner-approval, got '" + l.weightRelease + "'");
    });
    b.setMetricsRelease(switch (l.metricsRelease) {
      case "dp-only" -> MetricsRelease.DP_ONLY;
      case "exact" -> MetricsRelease.EXACT;
      default -> throw new ConfigException(where + ": license metricsRelease must be dp-only or exact, got '"
          + l.metricsRelease + "'");
    });
    if (l.expires != null) {
      try {
        b.setExpiresAtMillis(Instant.parse(l.expires).toEpochMilli());
      } catch (DateTimeParseException e) {
        throw new ConfigException(where + ": license expires must be an ISO-8601 instant like"
            + " 2027-12-31T00:00:00Z, got '" + l.expires + "'");
      }
    }
    return b.build();
  }

  /** A configuration error: the message names the file and the key. */
  public static final class ConfigException extends IOException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }
}
