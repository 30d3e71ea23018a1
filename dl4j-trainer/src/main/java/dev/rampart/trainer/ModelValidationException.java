package dev.rampart.trainer;

import java.util.List;

/**
 * A model the private trainer refuses: every problem found, each naming where it is and what to use instead. The
 * message lists them all, so that a scientist fixes a configuration in one round instead of one problem at a time.
 */
public final class ModelValidationException extends dev.rampart.common.RampartException {
  private static final long serialVersionUID = 1L;
  private final transient List<String> problems;

  public ModelValidationException(String message) {
    this(List.of(message));
  }

  /** @param problems at least one; each a whole sentence */
  public ModelValidationException(List<String> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, in the order of the layers. */
  public List<String> problems() {
    return problems;
  }

  private static String message(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a refusal names at least one problem");
    }
    if (problems.size() == 1) {
      return problems.get(0);
    }
    StringBuilder s = new StringBuilder(problems.size() + " problems: ");
    for (int i = 0; i < problems.size(); i++) {
      s.append(i == 0 ? "" : "; ").append('(').append(i + 1).append(") ").append(problems.get(i));
    }
    return s.toString();
  }
}
