package dev.rampart.accountant;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Per-dataset privacy budgets and what each dataset has spent.
 *
 * <p>{@link #charge} is the only way to spend: it adds a segment to a dataset's history if and only if the
 * resulting ε stays within the budget, atomically. Charges to the same dataset are serialised, and a charge
 * to several datasets locks them in a fixed order and commits to all or none, so concurrent charges can
 * never jointly overrun a budget. Spending happens before anything derived from the data is released:
 * callers charge first, then release.
 *
 * <p>Thread-safe. Persistence: {@link LedgerFormat}.
 */
public final class PrivacyLedger {
  /** Dataset ids: letters, digits and {@code . _ : + -}, 1 to 200 characters (SHA-256 hex fits). */
  private static final Pattern DATASET_ID = Pattern.compile("[A-Za-z0-9._:+-]{1,200}");

  /** ε tolerance used for the "σ needed" suggestion of a refused charge. */
  private static final double SUGGESTION_TOLERANCE = 1e-3;

  private final RdpAccountant accountant;
  private final Map<String, Account> accounts = new ConcurrentHashMap<>();

  private static final class Account {
    final String id;
    PrivacyBudget budget; // guarded by lock
    final ReentrantLock lock = new ReentrantLock();
    PrivacyHistory history; // guarded by lock
    PrivacyGuarantee spent; // guarded by lock

    Account(String id, PrivacyBudget budget, PrivacyHistory history, PrivacyGuarantee spent) {
      this.id = id;
      this.budget = budget;
      this.history = history;
      this.spent = spent;
    }
  }

  public PrivacyLedger(RdpAccountant accountant) {
    this.accountant = accountant;
  }

  /** A ledger on the default accountant. */
  public PrivacyLedger() {
    this(RdpAccountant.defaults());
  }

  public RdpAccountant accountant() {
    return accountant;
  }

  /**
   * Opens an account for a dataset with nothing spent.
   *
   * @throws IllegalArgumentException if the id is malformed
   * @throws IllegalStateException if the dataset already has an account
   */
  public void open(String datasetId, PrivacyBudget budget) {
    restore(datasetId, budget, PrivacyHistory.empty());
  }

  /**
   * Recreates an account with a history already spent (used when loading saved state).
   *
   * @throws IllegalStateException if the dataset already has an account, or the history exceeds the budget
   */
  void restore(String datasetId, PrivacyBudget budget, PrivacyHistory history) {
    checkDatasetId(datasetId);
    PrivacyGuarantee spent = accountant.epsilon(history, budget.delta());
    if (spent.epsilon() > budget.epsilon()) {
      throw new IllegalStateException("dataset " + datasetId + " has spent ε=" + spent.epsilon()
          + ", over its budget ε=" + budget.epsilon());
    }
    Account fresh = new Account(datasetId, budget, history, spent);
    if (accounts.putIfAbsent(datasetId, fresh) != null) {
      throw new IllegalStateException("dataset " + datasetId + " already has a privacy budget");
    }
  }

  /**
   * Changes a dataset's budget (its owner changed the license). Nothing already spent is forgotten: lowering the
   * budget below what was spent only means no further charge fits.
   *
   * @throws UnknownDatasetException if the dataset has no account
   */
  public void changeBudget(String datasetId, PrivacyBudget budget) {
    Account a = account(datasetId);
    a.lock.lock();
    try {
      a.budget = budget;
      a.spent = accountant.epsilon(a.history, budget.delta());
    } finally {
      a.lock.unlock();
    }
  }

  /**
   * Records spending that already happened, without the budget check: for rebuilding a ledger from a trusted
   * record of charges (an audit journal) in which every charge passed {@link #charge} when it was made. Never a
   * way to spend: a replayed history over budget simply leaves no room for more.
   *
   * @throws UnknownDatasetException if a dataset has no account
   */
  public void replay(Collection<String> datasetIds, Segment segment) {
    List<Account> locked = lockInOrder(datasetIds);
    try {
      for (Account a : locked) {
        a.history = a.history.plus(segment);
        a.spent = accountant.epsilon(a.history, a.budget.delta());
      }
    } finally {
      for (int k = locked.size() - 1; k >= 0; k--) {
        locked.get(k).lock.unlock();
      }
    }
  }

  static void checkDatasetId(String datasetId) {
    if (datasetId == null || !DATASET_ID.matcher(datasetId).matches()) {
      throw new IllegalArgumentException("dataset id must be 1-200 characters of [A-Za-z0-9._:+-], got '"
          + (datasetId == null ? "null" : datasetId.replaceAll("\\p{Cntrl}", "?")) + "'");
    }
  }

  /**
   * Spends {@code segment} on one dataset.
   *
   * @return what the dataset has spent after the charge
   * @throws BudgetExceededException if the charge would take it over budget; nothing is charged
   * @throws UnknownDatasetException if the dataset has no account
   */
  public PrivacyGuarantee charge(String datasetId, Segment segment) throws BudgetExceededException {
    return charge(List.of(datasetId), segment).get(datasetId);
  }

  /**
   * Spends {@code segment} on every dataset of a job (each step of a job touches the examples of all of
   * them), all or nothing.
   *
   * @return what each dataset has spent after the charge, by id
   * @throws BudgetExceededException for the first dataset (in id order) that would go over budget; nothing
   *     is charged to any dataset
   */
  public Map<String, PrivacyGuarantee> charge(Collection<String> datasetIds, Segment segment)
      throws BudgetExceededException {
    return charge(datasetIds, segment, true);
  }

  /**
   * What {@link #charge} would do, without doing it: for a caller that records a charge durably (an audit journal)
   * and then adds it with {@link #replay}, holding its own lock across both so that nothing is charged in between.
   *
   * @return what each dataset would have spent after the charge, by id
   * @throws BudgetExceededException as {@link #charge} would; nothing changes either way
   */
  public Map<String, PrivacyGuarantee> check(Collection<String> datasetIds, Segment segment)
      throws BudgetExceededException {
    return charge(datasetIds, segment, false);
  }

  private Map<String, PrivacyGuarantee> charge(Collection<String> datasetIds, Segment segment, boolean commit)
      throws BudgetExceededException {
    List<Account> locked = lockInOrder(datasetIds);
    Map<String, PrivacyGuarantee> after = new LinkedHashMap<>();
    Map<Account, PrivacyHistory> nextHistories = new LinkedHashMap<>();
    Account refused = null;
    PrivacyGuarantee refusedAfter = null;
    PrivacyHistory refusedPrior = null;
    PrivacyBudget refusedBudget = null;
    try {
      for (Account a : locked) {
        PrivacyHistory next = a.history.plus(segment);
        PrivacyGuarantee g = accountant.epsilon(next, a.budget.delta());
        if (g.epsilon() > a.budget.epsilon()) {
          refused = a;
          refusedAfter = g;
          refusedPrior = a.history;
          refusedBudget = a.budget;
          break;
        }
        nextHistories.put(a, next);
        after.put(a.id, g);
      }
      if (refused == null) {
        if (commit) {
          for (Map.Entry<Account, PrivacyHistory> e : nextHistories.entrySet()) {
            e.getKey().history = e.getValue();
            e.getKey().spent = after.get(e.getKey().id);
          }
        }
        return after;
      }
    } finally {
      for (int k = locked.size() - 1; k >= 0; k--) {
        locked.get(k).lock.unlock();
      }
    }
    // outside the locks: the suggestions take a calibration, and the refusal changed nothing
    throw refusal(refused.id, refusedBudget, refusedPrior, refusedAfter, segment);
  }

  private BudgetExceededException refusal(
      String id, PrivacyBudget budget, PrivacyHistory prior, PrivacyGuarantee after, Segment segment) {
    double delta = budget.delta();
    double spent = accountant.epsilon(prior, delta).epsilon();
    long fit = accountant.maxSteps(prior, segment.sampleRate(), segment.noiseMultiplier(),
        budget.epsilon(), delta);
    double sigma;
    try {
      sigma = accountant.calibrateNoise(prior, segment.sampleRate(), segment.steps(), budget.epsilon(),
          delta, SUGGESTION_TOLERANCE).noiseMultiplier();
    } catch (TargetUnreachableException e) {
      sigma = Double.NaN;
    }
    return new BudgetExceededException(id, budget, spent, after.epsilon(), segment, fit, sigma);
  }

  private List<Account> lockInOrder(Collection<String> datasetIds) {
    if (datasetIds.isEmpty()) {
      throw new IllegalArgumentException("a charge needs at least one dataset");
    }
    List<Account> ordered = new ArrayList<>();
    for (String id : new TreeSet<>(datasetIds)) {
      Account a = accounts.get(id);
      if (a == null) {
        throw new UnknownDatasetException(id);
      }
      ordered.add(a);
    }
    for (int k = 0; k < ordered.size(); k++) {
      ordered.get(k).lock.lock();
    }
    return ordered;
  }

  private Account account(String datasetId) {
    Account a = accounts.get(datasetId);
    if (a == null) {
      throw new UnknownDatasetException(datasetId);
    }
    return a;
  }

  /** What the dataset has spent so far. */
  public PrivacyGuarantee spent(String datasetId) {
    Account a = account(datasetId);
    a.lock.lock();
    try {
      return a.spent;
    } finally {
      a.lock.unlock();
    }
  }

  /** The dataset's history so far. */
  public PrivacyHistory history(String datasetId) {
    Account a = account(datasetId);
    a.lock.lock();
    try {
      return a.history;
    } finally {
      a.lock.unlock();
    }
  }

  public PrivacyBudget budget(String datasetId) {
    Account a = account(datasetId);
    a.lock.lock();
    try {
      return a.budget;
    } finally {
      a.lock.unlock();
    }
  }

  /**
   * The most steps at (q, σ) that the dataset can still take.
   */
  public long stepsThatFit(String datasetId, double q, double sigma) {
    Account a = account(datasetId);
    PrivacyHistory h;
    PrivacyBudget b;
    a.lock.lock();
    try {
      h = a.history;
      b = a.budget;
    } finally {
      a.lock.unlock();
    }
    return accountant.maxSteps(h, q, sigma, b.epsilon(), b.delta());
  }

  /** Ids of all datasets with an account, sorted. */
  public Set<String> datasets() {
    return new TreeSet<>(accounts.keySet());
  }

  /** A consistent copy of every account: taken with all accounts locked, so no charge is half-seen. */
  public Map<String, Snapshot> snapshot() {
    Set<String> ids = datasets();
    if (ids.isEmpty()) {
      return Map.of();
    }
    List<Account> locked = lockInOrder(ids);
    try {
      Map<String, Snapshot> copy = new LinkedHashMap<>();
      for (Account a : locked) {
        copy.put(a.id, new Snapshot(a.budget, a.history, a.spent));
      }
      return copy;
    } finally {
      for (int k = locked.size() - 1; k >= 0; k--) {
        locked.get(k).lock.unlock();
      }
    }
  }

  /** One dataset's account at a point in time. */
  public record Snapshot(PrivacyBudget budget, PrivacyHistory history, PrivacyGuarantee spent) {}
}
