package dev.rampart.accountant;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the reference vectors under {@code src/test/resources/reference/}. */
public final class ReferenceData {
  private ReferenceData() {}

  /** Rows of a reference TSV: '#' comment lines, then one header line, then tab-separated data. */
  public static List<String[]> rows(String resource) throws IOException {
    InputStream in = ReferenceData.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IOException("missing test resource " + resource);
    }
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      boolean header = true;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        if (header) {
          header = false;
          continue;
        }
        rows.add(line.split("\t"));
      }
    }
    return rows;
  }
}
