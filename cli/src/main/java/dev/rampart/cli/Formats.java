package dev.rampart.cli;

import dev.rampart.protocol.v1.DatasetSpend;
import dev.rampart.protocol.v1.JobState;
import dev.rampart.protocol.v1.WeightRelease;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the scientist's commands show numbers, ids, states and tables. */
final class Formats {
  private Formats() {}

  /** At most {@code decimals} decimals, no trailing zeros: 3.0 is "3", 1.4234 is "1.42". */
  static String compact(double x, int decimals) {
    if (!Double.isFinite(x)) {
      return Double.toString(x);
    }
    BigDecimal d = BigDecimal.valueOf(x).setScale(decimals, RoundingMode.HALF_UP).stripTrailingZeros();
    return d.signum() == 0 ? "0" : d.toPlainString();
  }

  /** Exactly {@code decimals} decimals. */
  static String fixed(double x, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", x);
  }

  /** Four significant digits, for sample rates and noise multipliers. */
  static String significant(double x) {
    return String.format(Locale.ROOT, "%.4g", x);
  }

  /** The first 16 hex digits and an ellipsis (a unique prefix is accepted wherever an id is). */
  static String shortId(String id) {
    return id.length() <= 16 ? id : id.substring(0, 16) + "…";
  }

  static String state(JobState s) {
    return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static String weightRelease(WeightRelease w) {
    return switch (w) {
      case TO_NAMED -> "to-named";
      case AFTER_OWNER_APPROVAL -> "after-owner-approval";
      default -> "never";
    };
  }

  /** "1.42/3": ε spent on a dataset (by all jobs) over its license's budget. */
  static String spent(double epsilon, double budget) {
    return compact(epsilon, 2) + "/" + compact(budget, 2);
  }

  /** "hospital-a 1.42/3 hospital-b 0.5/3". */
  static String spending(List<DatasetSpend> spent) {
    return spent.stream()
        .map(s -> shortName(s.getName(), s.getDatasetId()) + " "
            + spent(s.getEpsilon(), s.getBudgetEpsilon()))
        .collect(Collectors.joining(" "));
  }

  /** A dataset's name cut to 20 characters (its short id when it has none). */
  static String shortName(String name, String datasetId) {
    if (name.isEmpty()) {
      return shortId(datasetId);
    }
    return name.length() <= 20 ? name : name.substring(0, 19) + "…";
  }

  /** UTC, to the second: 2026-11-24T10:15:30Z. */
  static String time(long millis) {
    return millis <= 0 ? "-" : Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Left-aligned columns two spaces apart; numeric columns right-aligned. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] right;

    Table(String... header) {
      rows.add(header);
      right = new boolean[header.length];
    }

    Table rightAligned(int... columns) {
      for (int c : columns) {
        right[c] = true;
      }
      return this;
    }

    Table row(Object... cells) {
      String[] r = new String[cells.length];
      for (int i = 0; i < cells.length; i++) {
        r[i] = String.valueOf(cells[i]);
      }
      rows.add(r);
      return this;
    }

    void print(PrintWriter out) {
      int[] width = new int[right.length];
      for (String[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          width[i] = Math.max(width[i], r[i].codePointCount(0, r[i].length()));
        }
      }
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < r.length; i++) {
          int pad = width[i] - r[i].codePointCount(0, r[i].length());
          boolean last = i == r.length - 1;
          if (right[i]) {
            line.append(" ".repeat(pad)).append(r[i]);
          } else {
            line.append(r[i]).append(last ? "" : " ".repeat(pad));
          }
          if (!last) {
            line.append("  ");
          }
        }
        out.println(line);
      }
      out.flush();
    }
  }
}
