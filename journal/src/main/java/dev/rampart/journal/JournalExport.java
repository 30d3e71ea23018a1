package dev.rampart.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rampart.common.StrictJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The export file: JSON lines, UTF-8. Line 1 is the header {@code {"format":"rampart-journal-export/v1"}}; then
 * one entry per line, oldest first:
 *
 * <pre>
 * {"seq":0,"prevHash":"&lt;hex&gt;","timeMillis":…,"type":"boot","payloadSha256":"&lt;hex&gt;",
 *  "payload":"&lt;base64 of the payload bytes&gt;" or null when redacted,"signerSpki":"&lt;base64&gt;","signature":"&lt;base64&gt;"}
 * </pre>
 *
 * Every line ends with '\n'. The payload travels as base64 of its exact bytes, since its digest is over bytes, not
 * over JSON values. Reading is strict (unknown or missing keys, a missing final newline, anything over a limit
 * are errors): exports come through untrusted hands, and a lenient reader is a second, different parser.
 * Serialisation only: whether the entries verify is {@link JournalVerifier}'s question.
 */
public final class JournalExport {
  public static final String FORMAT = "rampart-journal-export/v1";
  /** Enough for an entry with a maximal payload (base64 grows it by a third). */
  public static final int MAX_LINE_BYTES = 2 << 20;
  public static final int MAX_ENTRIES = 2_000_000;
  public static final long MAX_EXPORT_BYTES = 1L << 30;

  private static final Set<String> KEYS = Set.of("seq", "prevHash", "timeMillis", "type", "payloadSha256",
      "payload", "signerSpki", "signature");

  private JournalExport() {}

  /** Writes {@code entries} to {@code out} (flushed, not closed). */
  public static void write(List<JournalEntry> entries, OutputStream out) throws IOException {
    ObjectNode header = StrictJson.MAPPER.createObjectNode().put("format", FORMAT);
    out.write(StrictJson.MAPPER.writeValueAsBytes(header));
    out.write('\n');
    Base64.Encoder b64 = Base64.getEncoder();
    HexFormat hex = HexFormat.of();
    for (JournalEntry e : entries) {
      ObjectNode o = StrictJson.MAPPER.createObjectNode();
      o.put("seq", e.seq());
      o.put("prevHash", hex.formatHex(e.prevHash()));
      o.put("timeMillis", e.timeMillis());
      o.put("type", e.type());
      o.put("payloadSha256", hex.formatHex(e.payloadSha256()));
      if (e.isRedacted()) {
        o.putNull("payload");
      } else {
        o.put("payload", b64.encodeToString(e.payload()));
      }
      o.put("signerSpki", b64.encodeToString(e.signerSpki()));
      o.put("signature", b64.encodeToString(e.signature()));
      out.write(StrictJson.MAPPER.writeValueAsBytes(o));
      out.write('\n');
    }
    out.flush();
  }

  /**
   * Reads an export (to its end; {@code in} is not closed).
   *
   * @throws JournalExportException naming the line that is not an entry, or the limit that was exceeded
   */
  public static List<JournalEntry> read(InputStream in) throws IOException, JournalExportException {
    LineReader lines = new LineReader(in);
    byte[] first = lines.next();
    if (first == null) {
      throw new JournalExportException(1, "the file is empty; an export starts with {\"format\":\"" + FORMAT + "\"}");
    }
    ObjectNode header = object(first, 1);
    JsonNode format = header.get("format");
    if (header.size() != 1 || format == null || !FORMAT.equals(format.asText(null))) {
      throw new JournalExportException(1, "not a journal export: the first line must be {\"format\":\"" + FORMAT
          + "\"}");
    }
    List<JournalEntry> entries = new ArrayList<>();
    for (byte[] line = lines.next(); line != null; line = lines.next()) {
      if (entries.size() >= MAX_ENTRIES) {
        throw new JournalExportException(lines.number(), "more than " + MAX_ENTRIES + " entries");
      }
      entries.add(entry(object(line, lines.number()), lines.number()));
    }
    return entries;
  }

  private static ObjectNode object(byte[] line, long number) throws JournalExportException {
    JsonNode n;
    try {
      n = StrictJson.MAPPER.readTree(line);
    } catch (IOException e) {
      throw new JournalExportException(number, "not valid JSON: " + StrictJson.firstLine(e.getMessage()));
    }
    if (n == null || !n.isObject()) {
      throw new JournalExportException(number, "not a JSON object");
    }
    return (ObjectNode) n;
  }

  private static JournalEntry entry(ObjectNode o, long line) throws JournalExportException {
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new JournalExportException(line, "unknown key '" + key + "'");
      }
    }
    long seq = integer(o, "seq", line);
    long timeMillis = integer(o, "timeMillis", line);
    String type = text(o, "type", line);
    byte[] prevHash = hex(o, "prevHash", line);
    byte[] payloadSha256 = hex(o, "payloadSha256", line);
    JsonNode p = o.get("payload");
    if (p == null) {
      throw new JournalExportException(line, "'payload' is missing (null when redacted)");
    }
    byte[] payload = p.isNull() ? null : base64(o, "payload", line);
    byte[] spki = base64(o, "signerSpki", line);
    byte[] signature = base64(o, "signature", line);
    try {
      return new JournalEntry(seq, prevHash, timeMillis, type, payloadSha256, payload, spki, signature);
    } catch (IllegalArgumentException e) {
      throw new JournalExportException(line, e.getMessage());
    }
  }

  private static long integer(ObjectNode o, String key, long line) throws JournalExportException {
    JsonNode n = o.get(key);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
      throw new JournalExportException(line, "'" + key + "' must be a non-negative integer");
    }
    return n.asLong();
  }

  private static String text(ObjectNode o, String key, long line) throws JournalExportException {
    JsonNode n = o.get(key);
    if (n == null || !n.isTextual()) {
      throw new JournalExportException(line, "'" + key + "' must be a string");
    }
    return n.asText();
  }

  private static byte[] hex(ObjectNode o, String key, long line) throws JournalExportException {
    String s = text(o, key, line);
    try {
      return HexFormat.of().parseHex(s);
    } catch (IllegalArgumentException e) {
      throw new JournalExportException(line, "'" + key + "' must be hex");
    }
  }

  private static byte[] base64(ObjectNode o, String key, long line) throws JournalExportException {
    String s = text(o, key, line);
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new JournalExportException(line, "'" + key + "' must be base64");
    }
  }

  /** Lines of at most {@link #MAX_LINE_BYTES}, read without ever buffering more than that. */
  private static final class LineReader {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private long number;
    private long total;

    LineReader(InputStream in) {
      this.in = in;
    }

    long number() {
      return number;
    }

    /** The next line without its '\n', or null at the end of the input. */
    byte[] next() throws IOException, JournalExportException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      long lineNumber = number + 1;
      while (true) {
        if (position == limit) {
          limit = in.read(buffer);
          position = 0;
          if (limit <= 0) {
            limit = 0;
            if (line.size() > 0) {
              throw new JournalExportException(lineNumber, "the last line does not end with a newline: the export"
                  + " was cut short");
            }
            return null;
          }
          total += limit;
          if (total > MAX_EXPORT_BYTES) {
            throw new JournalExportException(lineNumber, "the export is over " + MAX_EXPORT_BYTES + " bytes");
          }
        }
        int start = position;
        while (position < limit && buffer[position] != '\n') {
          position++;
        }
        line.write(buffer, start, position - start);
        if (line.size() > MAX_LINE_BYTES) {
          throw new JournalExportException(lineNumber, "the line is longer than " + MAX_LINE_BYTES + " bytes");
        }
        if (position < limit) {
          position++; // the newline
          number = lineNumber;
          if (line.size() == 0) {
            throw new JournalExportException(lineNumber, "empty line");
          }
          return line.toByteArray();
        }
      }
    }
  }
}
