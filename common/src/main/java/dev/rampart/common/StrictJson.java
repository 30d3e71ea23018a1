package dev.rampart.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Rampart's one JSON mapper configuration, for everything it reads that another hand could have written (journal
 * payloads and exports, sealed key files, models, configurations): a duplicate key is an error (two readers must
 * never see two values for one key), nesting is bounded, content after the value is refused, and an unknown
 * property of a bound class is an error (Jackson's default, kept). Nothing here resolves a type from the input: no
 * default typing, no polymorphic type ids.
 */
public final class StrictJson {
  /** Deeper than any document Rampart writes (journal payloads nest 4 levels, models about 8). */
  public static final int MAX_DEPTH = 64;

  /** Thread-safe once configured, as every Jackson mapper; never reconfigure it. */
  public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private StrictJson() {}

  /** The first line of a parser's message: Jackson appends source locations that say nothing to a person. */
  public static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
