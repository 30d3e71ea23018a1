package dev.rampart.accountant;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a dataset has been through: a run-length compressed, immutable list of {@link Segment}s. Appending a
 * segment with the same (q, σ) as the last one adds to its steps; empty segments are dropped. RDP composes
 * additively, so the order of segments does not change the guarantee, only how compactly it is stored.
 */
public final class PrivacyHistory {
  private static final PrivacyHistory EMPTY = new PrivacyHistory(List.of());

  private final List<Segment> segments;

  private PrivacyHistory(List<Segment> segments) {
    this.segments = segments;
  }

  public static PrivacyHistory empty() {
    return EMPTY;
  }

  /** A history of the given segments, compressed. */
  public static PrivacyHistory of(Segment... segments) {
    PrivacyHistory h = EMPTY;
    for (Segment s : segments) {
      h = h.plus(s);
    }
    return h;
  }

  /**
   * This history followed by {@code segment}.
   *
   * @throws ArithmeticException if merged steps overflow a long
   */
  public PrivacyHistory plus(Segment segment) {
    if (segment.steps() == 0) {
      return this;
    }
    List<Segment> next = new ArrayList<>(segments.size() + 1);
    next.addAll(segments);
    int last = next.size() - 1;
    if (last >= 0 && next.get(last).sameMechanism(segment)) {
      Segment merged = next.get(last);
      next.set(last, merged.withSteps(Math.addExact(merged.steps(), segment.steps())));
    } else {
      next.add(segment);
    }
    return new PrivacyHistory(Collections.unmodifiableList(next));
  }

  /** This history followed by all of {@code other}. */
  public PrivacyHistory plus(PrivacyHistory other) {
    PrivacyHistory h = this;
    for (Segment s : other.segments) {
      h = h.plus(s);
    }
    return h;
  }

  /** The compressed segments, oldest first; unmodifiable. */
  public List<Segment> segments() {
    return segments;
  }

  public boolean isEmpty() {
    return segments.isEmpty();
  }

  /** Total steps over all segments. */
  public long totalSteps() {
    long total = 0;
    for (Segment s : segments) {
      total = Math.addExact(total, s.steps());
    }
    return total;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PrivacyHistory other && segments.equals(other.segments);
  }

  @Override
  public int hashCode() {
    return segments.hashCode();
  }

  @Override
  public String toString() {
    return "PrivacyHistory" + segments;
  }
}
