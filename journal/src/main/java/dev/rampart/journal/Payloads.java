package dev.rampart.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.common.StrictJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Entry payloads: a JSON object with "subjects", "salt" and the type's own fields. */
final class Payloads {
  static final String SUBJECTS = "subjects";
  /**
   * 16 random bytes in every payload. A redacted entry still shows payloadSha256, and many payloads are easy to
   * guess (an enrolment names a known fingerprint and a role): without a salt, an owner could confirm a guess
   * about another owner's entry by hashing it.
   */
  static final String SALT = "salt";
  static final int SALT_BYTES = 16;
  static final int MAX_SUBJECTS = 1024;
  static final int MAX_SUBJECT_LENGTH = 256;

  private Payloads() {}

  /**
   * The payload bytes: subjects first, then the salt, then {@code fields} in their order.
   *
   * @throws IllegalArgumentException if a subject is empty or too long, there are too many, a field uses a
   *     reserved name, or the result is over {@link JournalEntry#MAX_PAYLOAD_BYTES}
   */
  static byte[] encode(Collection<String> subjects, ObjectNode fields, byte[] salt) {
    if (subjects.size() > MAX_SUBJECTS) {
      throw new IllegalArgumentException("an entry names at most " + MAX_SUBJECTS + " subjects, got "
          + subjects.size());
    }
    ObjectNode root = StrictJson.MAPPER.createObjectNode();
    ArrayNode array = root.putArray(SUBJECTS);
    Set<String> seen = new LinkedHashSet<>();
    for (String s : subjects) {
      if (s == null || s.isEmpty() || s.length() > MAX_SUBJECT_LENGTH) {
        throw new IllegalArgumentException("a subject is a dataset id or principal fingerprint of 1 to "
            + MAX_SUBJECT_LENGTH + " characters; got " + (s == null ? "null" : s.length() + " characters"));
      }
      if (seen.add(s)) {
        array.add(s);
      }
    }
    root.put(SALT, Base64.getEncoder().encodeToString(salt));
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getKey().equals(SUBJECTS) || f.getKey().equals(SALT)) {
        throw new IllegalArgumentException("the payload field '" + f.getKey() + "' is the journal's own: pass"
            + " subjects as the subjects argument and leave the salt to the journal");
      }
      root.set(f.getKey(), f.getValue().deepCopy());
    }
    byte[] bytes;
    try {
      bytes = StrictJson.MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the payload cannot be written as JSON: " + StrictJson.firstLine(e.getMessage()));
    }
    if (bytes.length > JournalEntry.MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException("the payload is " + bytes.length + " bytes; an entry holds at most "
          + JournalEntry.MAX_PAYLOAD_BYTES + ": store large content elsewhere and journal its digest");
    }
    return bytes;
  }

  /**
   * Parses a payload.
   *
   * @throws IllegalArgumentException if it is not a JSON object with a {@code subjects} array of strings
   */
  static ObjectNode parse(byte[] payload) {
    JsonNode root;
    try {
      root = StrictJson.MAPPER.readTree(payload);
    } catch (IOException e) {
      throw new IllegalArgumentException("the payload is not valid JSON: " + StrictJson.firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("the payload is not a JSON object");
    }
    subjects((ObjectNode) root);
    return (ObjectNode) root;
  }

  /** @throws IllegalArgumentException if {@code subjects} is missing or not an array of strings */
  static List<String> subjects(ObjectNode payload) {
    JsonNode s = payload.get(SUBJECTS);
    if (s == null || !s.isArray()) {
      throw new IllegalArgumentException("the payload has no 'subjects' array");
    }
    List<String> out = new ArrayList<>(s.size());
    for (JsonNode n : s) {
      if (!n.isTextual()) {
        throw new IllegalArgumentException("the payload's 'subjects' holds something that is not a string");
      }
      out.add(n.asText());
    }
    return List.copyOf(out);
  }
}
