package dev.rampart.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.attestation.Endorsements;
import dev.rampart.common.StrictJson;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The type-specific fields of a boot entry: {@code platform}, {@code spki}, {@code evidence},
 * {@code endorsementKey}, {@code chain}, {@code collateral} (base64; the last three absent when the platform has
 * none) and {@code measurement} (hex).
 */
record BootPayload(String platform, byte[] spki, byte[] evidence, Endorsements endorsements, byte[] measurement) {

  /** The fields for a boot entry introducing {@code spki}. */
  static ObjectNode fields(BootEvidence boot, byte[] spki) {
    ObjectNode o = StrictJson.MAPPER.createObjectNode();
    Base64.Encoder b64 = Base64.getEncoder();
    o.put("platform", boot.evidence().platform().id());
    o.put("spki", b64.encodeToString(spki));
    o.put("evidence", b64.encodeToString(boot.evidence().bytes()));
    Endorsements e = boot.endorsements();
    if (e.endorsementKey() != null) {
      o.put("endorsementKey", b64.encodeToString(e.endorsementKey()));
    }
    if (e.chain() != null) {
      o.put("chain", b64.encodeToString(e.chain()));
    }
    if (e.collateral() != null) {
      o.put("collateral", b64.encodeToString(e.collateral()));
    }
    o.put("measurement", boot.measurementHex());
    return o;
  }

  /** @throws IllegalArgumentException naming the field that is missing or malformed */
  static BootPayload parse(ObjectNode payload) {
    return new BootPayload(text(payload, "platform"), base64(payload, "spki", true),
        base64(payload, "evidence", true),
        new Endorsements(base64(payload, "endorsementKey", false), base64(payload, "chain", false),
            base64(payload, "collateral", false)),
        hex(payload, "measurement"));
  }

  private static String text(ObjectNode o, String key) {
    JsonNode n = o.get(key);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("the boot payload's '" + key + "' is missing or not a string");
    }
    return n.asText();
  }

  private static byte[] base64(ObjectNode o, String key, boolean required) {
    if (!required && !o.has(key)) {
      return null;
    }
    String s = text(o, key);
    byte[] b;
    try {
      b = Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the boot payload's '" + key + "' is not base64");
    }
    if (b.length == 0) {
      throw new IllegalArgumentException("the boot payload's '" + key + "' is empty");
    }
    return b;
  }

  private static byte[] hex(ObjectNode o, String key) {
    String s = text(o, key);
    try {
      return HexFormat.of().parseHex(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the boot payload's '" + key + "' is not hex");
    }
  }
}
