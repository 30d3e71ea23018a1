package dev.rampart.accountant;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and restores a {@link PrivacyLedger} exactly, in a plain, versioned, line-based text format:
 *
 * <pre>
 * rampart-privacy-ledger 1
 * conversion improved
 * orders 1.1 1.2 … 63.0
 * dataset &lt;id&gt; epsilon=&lt;ε&gt; delta=&lt;δ&gt;
 * segment &lt;id&gt; sample-rate=&lt;q&gt; noise-multiplier=&lt;σ&gt; steps=&lt;n&gt;
 * …
 * end datasets=&lt;count&gt; segments=&lt;count&gt;
 * </pre>
 *
 * Doubles are written with {@link Double#toString}, which reads back to the identical value, so a restored
 * ledger reports bit-for-bit the ε it had. The grid and conversion are saved with the state: a newer default
 * grid never silently changes what an old ledger has spent. The {@code end} line makes truncation
 * detectable. Never Java serialisation.
 */
public final class LedgerFormat {
  static final String MAGIC = "rampart-privacy-ledger";
  static final int VERSION = 1;

  private LedgerFormat() {}

  /** Writes a consistent snapshot of the ledger. */
  public static void write(PrivacyLedger ledger, Writer out) throws IOException {
    RdpAccountant acc = ledger.accountant();
    StringBuilder b = new StringBuilder();
    b.append(MAGIC).append(' ').append(VERSION).append('\n');
    b.append("conversion ").append(acc.conversion().id()).append('\n');
    b.append("orders");
    for (double a : acc.orders().toArray()) {
      b.append(' ').append(a);
    }
    b.append('\n');
    int datasets = 0;
    int segments = 0;
    for (Map.Entry<String, PrivacyLedger.Snapshot> e : ledger.snapshot().entrySet()) {
      PrivacyLedger.Snapshot s = e.getValue();
      b.append("dataset ").append(e.getKey())
          .append(" epsilon=").append(s.budget().epsilon())
          .append(" delta=").append(s.budget().delta()).append('\n');
      datasets++;
      for (Segment seg : s.history().segments()) {
        b.append("segment ").append(e.getKey())
            .append(" sample-rate=").append(seg.sampleRate())
            .append(" noise-multiplier=").append(seg.noiseMultiplier())
            .append(" steps=").append(seg.steps()).append('\n');
        segments++;
      }
    }
    b.append("end datasets=").append(datasets).append(" segments=").append(segments).append('\n');
    out.write(b.toString());
    out.flush();
  }

  /**
   * Reads a ledger written by {@link #write}.
   *
   * @throws LedgerFormatException naming the line, if anything is malformed, unknown, out of range,
   *     truncated, or over budget
   */
  public static PrivacyLedger read(Reader in) throws IOException {
    BufferedReader r = new BufferedReader(in);
    int lineNo = 0;
    String header = r.readLine();
    lineNo++;
    if (header == null) {
      throw new LedgerFormatException("empty ledger file");
    }
    String[] h = header.split(" ", -1);
    if (h.length != 2 || !h[0].equals(MAGIC)) {
      throw new LedgerFormatException("line 1: not a Rampart privacy ledger (expected '" + MAGIC + " "
          + VERSION + "')");
    }
    if (!h[1].equals(Integer.toString(VERSION))) {
      throw new LedgerFormatException("line 1: ledger format version " + h[1] + " is not supported (this"
          + " Rampart reads version " + VERSION + "); use the Rampart release that wrote it");
    }
    Conversion conversion = null;
    Orders orders = null;
    Map<String, PrivacyBudget> budgets = new LinkedHashMap<>();
    Map<String, List<Segment>> histories = new LinkedHashMap<>();
    int segmentCount = 0;
    boolean ended = false;
    String line;
    while ((line = r.readLine()) != null) {
      lineNo++;
      if (ended) {
        throw new LedgerFormatException("line " + lineNo + ": content after the 'end' line");
      }
      String[] f = line.split(" ", -1);
      try {
        switch (f[0]) {
          case "conversion" -> {
            expectFields(f, 2);
            if (conversion != null) {
              throw new IllegalArgumentException("conversion given twice");
            }
            conversion = Conversion.fromId(f[1]);
          }
          case "orders" -> {
            if (orders != null) {
              throw new IllegalArgumentException("orders given twice");
            }
            double[] grid = new double[f.length - 1];
            for (int k = 1; k < f.length; k++) {
              grid[k - 1] = parseDouble(f[k], "order");
            }
            orders = Orders.of(grid);
          }
          case "dataset" -> {
            expectFields(f, 4);
            String id = f[1];
            PrivacyLedger.checkDatasetId(id);
            if (budgets.containsKey(id)) {
              throw new IllegalArgumentException("dataset " + id + " listed twice");
            }
            budgets.put(id, new PrivacyBudget(
                parseDouble(value(f[2], "epsilon"), "epsilon"), parseDouble(value(f[3], "delta"), "delta")));
            histories.put(id, new ArrayList<>());
          }
          case "segment" -> {
            expectFields(f, 5);
            List<Segment> history = histories.get(f[1]);
            if (history == null) {
              throw new IllegalArgumentException("segment for dataset " + f[1] + " before its 'dataset' line");
            }
            history.add(new Segment(
                parseDouble(value(f[2], "sample-rate"), "sample-rate"),
                parseDouble(value(f[3], "noise-multiplier"), "noise-multiplier"),
                parseLong(value(f[4], "steps"), "steps")));
            segmentCount++;
          }
          case "end" -> {
            expectFields(f, 3);
            long d = parseLong(value(f[1], "datasets"), "datasets");
            long s = parseLong(value(f[2], "segments"), "segments");
            if (d != budgets.size() || s != segmentCount) {
              throw new IllegalArgumentException("the file lists " + budgets.size() + " datasets and "
                  + segmentCount + " segments but its end line says " + d + " and " + s);
            }
            ended = true;
          }
          default -> throw new IllegalArgumentException("unknown entry '" + f[0] + "'");
        }
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new LedgerFormatException("line " + lineNo + ": " + e.getMessage());
      }
    }
    if (!ended) {
      throw new LedgerFormatException("ledger file is truncated: no 'end' line after line " + lineNo);
    }
    if (conversion == null || orders == null) {
      throw new LedgerFormatException("ledger file has no " + (conversion == null ? "conversion" : "orders")
          + " line");
    }
    PrivacyLedger ledger = new PrivacyLedger(RdpAccountant.of(orders, conversion));
    for (Map.Entry<String, PrivacyBudget> e : budgets.entrySet()) {
      PrivacyHistory history = PrivacyHistory.of(histories.get(e.getKey()).toArray(new Segment[0]));
      try {
        ledger.restore(e.getKey(), e.getValue(), history);
      } catch (IllegalStateException | ArithmeticException ex) {
        throw new LedgerFormatException("inconsistent ledger: " + ex.getMessage());
      }
    }
    return ledger;
  }

  /**
   * Saves the ledger to {@code file} atomically: written to a temporary file beside it, forced to disk, then
   * moved over the old file, so a crash leaves either the old or the new state, never a mix.
   */
  public static void save(PrivacyLedger ledger, Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        write(ledger, w);
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Loads a ledger saved by {@link #save}; see {@link #read}. */
  public static PrivacyLedger load(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(r);
    }
  }

  private static void expectFields(String[] f, int n) {
    if (f.length != n) {
      throw new IllegalArgumentException("'" + f[0] + "' takes " + (n - 1) + " fields, got " + (f.length - 1));
    }
  }

  private static String value(String field, String key) {
    if (!field.startsWith(key + "=")) {
      throw new IllegalArgumentException("expected " + key + "=…, got '" + field + "'");
    }
    return field.substring(key.length() + 1);
  }

  private static double parseDouble(String s, String what) {
    try {
      // Double.parseDouble also takes hex floats, "0x1p3d" and surrounding blanks: only plain decimals here
      if (!s.matches("-?(Infinity|NaN|[0-9]+(\\.[0-9]+)?([eE]-?[0-9]+)?)")) {
        throw new NumberFormatException();
      }
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " is not a number: '" + s + "'");
    }
  }

  private static long parseLong(String s, String what) {
    try {
      if (!s.matches("[0-9]{1,19}")) {
        throw new NumberFormatException();
      }
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " is not a non-negative integer: '" + s + "'");
    }
  }
}
