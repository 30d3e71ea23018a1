package dev.rampart.attestation;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reference values a verifier holds evidence to, from a JSON policy file:
 *
 * <pre>
 * {"platforms": ["sev-snp"], "allowDebug": false, "measurements": ["&lt;hex&gt;", …],
 *  "minTcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115},
 *  "acceptedTcbStatuses": ["UpToDate"], "maxEvidenceAgeSeconds": 300,
 *  "allowSimulated": false, "simulatedRootSha256": "&lt;hex&gt;", "maxVmpl": 0}
 * </pre>
 *
 * Unknown keys are an error (a misspelt "alowDebug" must not silently mean the default). {@code platforms}
 * and {@code measurements} are required; an empty {@code measurements} list accepts any measurement and is
 * reported as a warning. Immutable.
 */
public final class AttestationPolicy {
  private static final Set<String> KEYS = Set.of("platforms", "allowDebug", "measurements", "minTcb",
      "acceptedTcbStatuses", "maxEvidenceAgeSeconds", "allowSimulated", "simulatedRootSha256", "maxVmpl");
  private static final Set<String> TCB_KEYS = Set.of("bootloader", "tee", "snp", "microcode", "fmc");
  private static final int MAX_POLICY_BYTES = 1 << 20;

  private final Set<Platform> platforms;
  private final boolean allowDebug;
  private final List<byte[]> measurements;
  private final Map<String, Integer> minTcb;
  private final List<String> acceptedTcbStatuses;
  private final long maxEvidenceAgeSeconds;
  private final boolean allowSimulated;
  private final byte[] simulatedRootSha256;
  private final int maxVmpl;

  private AttestationPolicy(Builder b) {
    this.platforms = b.platforms.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(b.platforms));
    this.allowDebug = b.allowDebug;
    this.measurements = b.measurements.stream().map(byte[]::clone).toList();
    this.minTcb = Map.copyOf(b.minTcb);
    this.acceptedTcbStatuses = List.copyOf(b.acceptedTcbStatuses);
    this.maxEvidenceAgeSeconds = b.maxEvidenceAgeSeconds;
    this.allowSimulated = b.allowSimulated;
    this.simulatedRootSha256 = b.simulatedRootSha256 == null ? null : b.simulatedRootSha256.clone();
    this.maxVmpl = b.maxVmpl;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses a policy file's content.
   *
   * @throws PolicyException naming the key that is unknown, missing, of the wrong type or out of range
   */
  public static AttestationPolicy parse(byte[] json) throws PolicyException {
    if (json.length > MAX_POLICY_BYTES) {
      throw new PolicyException("policy is " + json.length + " bytes; the limit is " + MAX_POLICY_BYTES);
    }
    JsonNode root;
    try {
      ObjectMapper mapper = JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .build();
      mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build());
      root = mapper.readTree(json);
    } catch (IOException e) {
      throw new PolicyException("policy is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new PolicyException("policy must be a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new PolicyException("unknown policy key '" + key + "' (known: " + String.join(", ", sorted(KEYS))
            + ")");
      }
    }
    Builder b = builder();
    JsonNode platforms = required(root, "platforms");
    for (JsonNode p : array(platforms, "platforms")) {
      try {
        b.platform(Platform.fromId(text(p, "platforms[]")));
      } catch (IllegalArgumentException e) {
        throw new PolicyException("platforms: " + e.getMessage());
      }
    }
    for (JsonNode m : array(required(root, "measurements"), "measurements")) {
      String hex = text(m, "measurements[]");
      try {
        b.measurement(HexFormat.of().parseHex(hex));
      } catch (IllegalArgumentException e) {
        throw new PolicyException("measurements: '" + abbreviate(hex) + "' is not hex");
      }
    }
    if (root.has("allowDebug")) {
      b.allowDebug(bool(root.get("allowDebug"), "allowDebug"));
    }
    if (root.has("minTcb")) {
      JsonNode tcb = root.get("minTcb");
      if (!tcb.isObject()) {
        throw new PolicyException("minTcb must be an object like {\"bootloader\": 3, \"snp\": 8}");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = tcb.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!TCB_KEYS.contains(e.getKey())) {
          throw new PolicyException("unknown minTcb key '" + e.getKey() + "' (known: "
              + String.join(", ", sorted(TCB_KEYS)) + ")");
        }
        long v = integer(e.getValue(), "minTcb." + e.getKey());
        if (v < 0 || v > 255) {
          throw new PolicyException("minTcb." + e.getKey() + " must be in [0, 255], got " + v);
        }
        b.minTcb(e.getKey(), (int) v);
      }
    }
    if (root.has("acceptedTcbStatuses")) {
      List<String> statuses = new ArrayList<>();
      for (JsonNode s : array(root.get("acceptedTcbStatuses"), "acceptedTcbStatuses")) {
        statuses.add(text(s, "acceptedTcbStatuses[]"));
      }
      b.acceptedTcbStatuses(statuses);
    }
    if (root.has("maxEvidenceAgeSeconds")) {
      long age = integer(root.get("maxEvidenceAgeSeconds"), "maxEvidenceAgeSeconds");
      if (age <= 0) {
        throw new PolicyException("maxEvidenceAgeSeconds must be > 0, got " + age);
      }
      b.maxEvidenceAgeSeconds(age);
    }
    if (root.has("maxVmpl")) {
      long vmpl = integer(root.get("maxVmpl"), "maxVmpl");
      if (vmpl < 0 || vmpl > 3) {
        throw new PolicyException("maxVmpl must be in [0, 3], got " + vmpl);
      }
      b.maxVmpl((int) vmpl);
    }
    if (root.has("allowSimulated")) {
      b.allowSimulated(bool(root.get("allowSimulated"), "allowSimulated"));
    }
    if (root.has("simulatedRootSha256")) {
      String hex = text(root.get("simulatedRootSha256"), "simulatedRootSha256");
      try {
        b.simulatedRootSha256(HexFormat.of().parseHex(hex));
      } catch (IllegalArgumentException e) {
        throw new PolicyException("simulatedRootSha256 must be 64 hex characters");
      }
    }
    try {
      return b.build();
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new PolicyException(e.getMessage());
    }
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  private static JsonNode required(JsonNode root, String key) throws PolicyException {
    JsonNode n = root.get(key);
    if (n == null) {
      throw new PolicyException("policy key '" + key + "' is required");
    }
    return n;
  }

  private static Iterable<JsonNode> array(JsonNode n, String key) throws PolicyException {
    if (!n.isArray()) {
      throw new PolicyException(key + " must be a JSON array");
    }
    return n;
  }

  private static String text(JsonNode n, String key) throws PolicyException {
    if (!n.isTextual()) {
      throw new PolicyException(key + " must be a string");
    }
    return n.asText();
  }

  private static boolean bool(JsonNode n, String key) throws PolicyException {
    if (!n.isBoolean()) {
      throw new PolicyException(key + " must be true or false");
    }
    return n.asBoolean();
  }

  private static long integer(JsonNode n, String key) throws PolicyException {
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new PolicyException(key + " must be an integer");
    }
    return n.asLong();
  }

  public Set<Platform> platforms() {
    return platforms;
  }

  public boolean allowDebug() {
    return allowDebug;
  }

  /** The accepted measurements; empty means any. */
  public List<byte[]> measurements() {
    return measurements.stream().map(byte[]::clone).toList();
  }

  /** Whether {@code measurement} is accepted. */
  public boolean acceptsMeasurement(byte[] measurement) {
    return measurements.isEmpty()
        || measurements.stream().anyMatch(m -> java.security.MessageDigest.isEqual(m, measurement));
  }

  /** Minimum TCB components by name (bootloader, tee, snp, microcode, fmc); absent means no minimum. */
  public Map<String, Integer> minTcb() {
    return minTcb;
  }

  public List<String> acceptedTcbStatuses() {
    return acceptedTcbStatuses;
  }

  public long maxEvidenceAgeSeconds() {
    return maxEvidenceAgeSeconds;
  }

  public boolean allowSimulated() {
    return allowSimulated;
  }

  /**
   * SEV-SNP: the least privileged VMPL whose reports are accepted (default 0). Under an SVSM or paravisor, code
   * at VMPL 1+ can request reports with the same measurement but report data of its own choosing.
   */
  public int maxVmpl() {
    return maxVmpl;
  }

  /** The pinned SHA-256 of the simulated root certificate (DER), or null. */
  public byte[] simulatedRootSha256() {
    return simulatedRootSha256 == null ? null : simulatedRootSha256.clone();
  }

  /** Warnings about a policy that is legal but weak. */
  public List<String> warnings() {
    List<String> w = new ArrayList<>();
    if (measurements.isEmpty()) {
      w.add("the policy lists no measurements: any code is accepted (fixtures only)");
    }
    if (allowDebug) {
      w.add("the policy allows debug guests: their memory is readable by the host");
    }
    if (allowSimulated) {
      w.add("the policy allows the INSECURE simulated TEE: nothing protects the data");
    }
    return w;
  }

  /** Builds policies in code; {@link #build()} validates. */
  public static final class Builder {
    private final Set<Platform> platforms = EnumSet.noneOf(Platform.class);
    private boolean allowDebug;
    private final List<byte[]> measurements = new ArrayList<>();
    private final Map<String, Integer> minTcb = new LinkedHashMap<>();
    private List<String> acceptedTcbStatuses = List.of("UpToDate");
    private long maxEvidenceAgeSeconds = 300;
    private boolean allowSimulated;
    private byte[] simulatedRootSha256;
    private int maxVmpl;

    public Builder platform(Platform p) {
      platforms.add(p);
      return this;
    }

    public Builder allowDebug(boolean allow) {
      this.allowDebug = allow;
      return this;
    }

    public Builder measurement(byte[] m) {
      if (m.length == 0 || m.length > 64) {
        throw new IllegalArgumentException("a measurement is 1 to 64 bytes, got " + m.length);
      }
      measurements.add(m.clone());
      return this;
    }

    public Builder minTcb(String component, int minimum) {
      if (!TCB_KEYS.contains(component)) {
        throw new IllegalArgumentException("unknown TCB component " + component);
      }
      minTcb.put(component, minimum);
      return this;
    }

    public Builder acceptedTcbStatuses(List<String> statuses) {
      this.acceptedTcbStatuses = List.copyOf(statuses);
      return this;
    }

    public Builder maxEvidenceAgeSeconds(long seconds) {
      this.maxEvidenceAgeSeconds = seconds;
      return this;
    }

    public Builder maxVmpl(int vmpl) {
      if (vmpl < 0 || vmpl > 3) {
        throw new IllegalArgumentException("maxVmpl must be in [0, 3], got " + vmpl);
      }
      this.maxVmpl = vmpl;
      return this;
    }

    public Builder allowSimulated(boolean allow) {
      this.allowSimulated = allow;
      return this;
    }

    public Builder simulatedRootSha256(byte[] sha256) {
      if (sha256.length != 32) {
        throw new IllegalArgumentException("simulatedRootSha256 must be 32 bytes (64 hex characters)");
      }
      this.simulatedRootSha256 = sha256.clone();
      return this;
    }

    /** @throws IllegalStateException if no platform is set, or simulation is allowed without a pinned root */
    public AttestationPolicy build() {
      if (platforms.isEmpty() && !allowSimulated) {
        throw new IllegalStateException("the policy accepts no platform: list at least one in 'platforms'");
      }
      if (allowSimulated && simulatedRootSha256 == null) {
        throw new IllegalStateException(
            "allowSimulated needs simulatedRootSha256: pin the SHA-256 of the simulated root certificate");
      }
      return new AttestationPolicy(this);
    }
  }
}
