package dev.rampart.client.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Expands a unique prefix of an id (as people type them from a table) to the full id. */
public final class IdPrefix {
  private IdPrefix() {}

  /**
   * The one id in {@code known} equal to {@code given}, or else the one that starts with it (ignoring case:
   * hex may be typed either way).
   *
   * @param kind what the ids name, for messages ("dataset", "job")
   * @param minLength the shortest prefix accepted (shorter ones match too much too easily)
   * @param listCommand where to see the ids, for messages
   * @throws IllegalArgumentException the prefix is too short, matches nothing, or matches several ids
   */
  public static String resolve(String given, Collection<String> known, String kind, int minLength, String listCommand) {
    if (given == null || given.isBlank()) {
      throw new IllegalArgumentException("no " + kind + " id given; " + listCommand + " lists them");
    }
    String g = given.trim();
    if (g.endsWith("…")) {
      g = g.substring(0, g.length() - 1); // pasted from a table's shortened id
    }
    for (String id : known) {
      if (id.equalsIgnoreCase(g)) {
        return id;
      }
    }
    if (g.length() < minLength) {
      throw new IllegalArgumentException("'" + given + "' is too short for a " + kind + " id: give the full id or at"
          + " least " + minLength + " of its first characters (" + listCommand + ")");
    }
    List<String> matches = new ArrayList<>();
    for (String id : known) {
      if (id.regionMatches(true, 0, g, 0, g.length())) {
        matches.add(id);
      }
    }
    if (matches.isEmpty()) {
      throw new IllegalArgumentException("no " + kind + " visible to you has an id starting with '" + g + "'; "
          + listCommand + " lists those you may use");
    }
    if (matches.size() > 1) {
      throw new IllegalArgumentException("'" + g + "' is the start of " + matches.size() + " " + kind + " ids ("
          + String.join(", ", matches.subList(0, Math.min(3, matches.size())))
          + (matches.size() > 3 ? ", …" : "") + "): give more characters");
    }
    return matches.get(0);
  }
}
