package dev.rampart.accountant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PrivacyLedgerTest {
  private static final String HOSPITAL = "3f2a9c01";
  private static final String BANK = "b4nk-2026";

  private final PrivacyLedger ledger = new PrivacyLedger();

  @Test
  void charge_withinBudget_accumulates() throws BudgetExceededException {
    ledger.open(HOSPITAL, new PrivacyBudget(3.0, 1e-5));
    PrivacyGuarantee first = ledger.charge(HOSPITAL, new Segment(0.01, 1.1, 100));
    PrivacyGuarantee second = ledger.charge(HOSPITAL, new Segment(0.01, 1.1, 100));
    assertThat(second.epsilon()).isGreaterThan(first.epsilon()).isLessThanOrEqualTo(3.0);
    assertThat(ledger.history(HOSPITAL).segments()).containsExactly(new Segment(0.01, 1.1, 200));
    assertThat(ledger.spent(HOSPITAL)).isEqualTo(second);
    assertThat(second.epsilon())
        .isEqualTo(RdpAccountant.defaults().epsilon(0.01, 1.1, 200, 1e-5).epsilon());
  }

  @Test
  void charge_overBudget_isRefusedAndChangesNothing() throws BudgetExceededException {
    ledger.open(HOSPITAL, new PrivacyBudget(1.0, 1e-5));
    ledger.charge(HOSPITAL, new Segment(0.01, 1.1, 50));
    PrivacyGuarantee before = ledger.spent(HOSPITAL);
    PrivacyHistory historyBefore = ledger.history(HOSPITAL);

    BudgetExceededException e = catchThrowableOfType(BudgetExceededException.class,
        () -> ledger.charge(HOSPITAL, new Segment(0.01, 1.1, 5_000)));

    assertThat(ledger.spent(HOSPITAL)).isEqualTo(before);
    assertThat(ledger.history(HOSPITAL)).isEqualTo(historyBefore);
    assertThat(e.datasetId()).isEqualTo(HOSPITAL);
    assertThat(e.spentEpsilon()).isEqualTo(before.epsilon());
    assertThat(e.remainingEpsilon()).isEqualTo(1.0 - before.epsilon());
    assertThat(e.epsilonAfterCharge()).isGreaterThan(1.0);
    assertThat(e.getMessage()).contains(HOSPITAL).contains("ε ≤ 1.0").contains("steps still fit")
        .contains("raise σ to");
  }

  @Test
  void check_answersAsChargeWould_andChangesNothing() throws BudgetExceededException {
    ledger.open(HOSPITAL, new PrivacyBudget(1.0, 1e-5));
    ledger.charge(HOSPITAL, new Segment(0.01, 1.1, 50));
    PrivacyHistory before = ledger.history(HOSPITAL);
    var would = ledger.check(java.util.List.of(HOSPITAL), new Segment(0.01, 1.1, 10));
    assertThat(ledger.history(HOSPITAL)).isEqualTo(before);
    // what check said is exactly what the charge then does
    assertThat(ledger.charge(HOSPITAL, new Segment(0.01, 1.1, 10))).isEqualTo(would.get(HOSPITAL));
    PrivacyHistory after = ledger.history(HOSPITAL);
    BudgetExceededException e = catchThrowableOfType(BudgetExceededException.class,
        () -> ledger.check(java.util.List.of(HOSPITAL), new Segment(0.01, 1.1, 5_000)));
    assertThat(e.datasetId()).isEqualTo(HOSPITAL);
    assertThat(ledger.history(HOSPITAL)).isEqualTo(after);
  }

  @Test
  void refusal_suggestionsAreExact() throws BudgetExceededException {
    ledger.open(HOSPITAL, new PrivacyBudget(2.0, 1e-5));
    ledger.charge(HOSPITAL, new Segment(0.02, 1.0, 100));
    Segment tooMuch = new Segment(0.01, 1.1, 10_000);
    BudgetExceededException e = catchThrowableOfType(BudgetExceededException.class,
        () -> ledger.charge(HOSPITAL, tooMuch));
    long fit = e.stepsThatFit();
    assertThat(fit).isPositive().isLessThan(10_000);
    assertThat(ledger.stepsThatFit(HOSPITAL, 0.01, 1.1)).isEqualTo(fit);

    // exactly the suggested steps fit, one more does not
    PrivacyLedger copy = new PrivacyLedger();
    copy.open(HOSPITAL, new PrivacyBudget(2.0, 1e-5));
    copy.charge(HOSPITAL, new Segment(0.02, 1.0, 100));
    assertThatThrownBy(() -> copy.charge(HOSPITAL, new Segment(0.01, 1.1, fit + 1)))
        .isInstanceOf(BudgetExceededException.class);
    copy.charge(HOSPITAL, new Segment(0.01, 1.1, fit));

    // and the suggested σ lets all the requested steps through
    ledger.charge(HOSPITAL, new Segment(0.01, e.noiseMultiplierNeeded(), 10_000));
    assertThat(ledger.spent(HOSPITAL).epsilon()).isLessThanOrEqualTo(2.0).isGreaterThan(2.0 - 2e-3);
  }

  @Test
  void unknownDataset_isATypedError() {
    assertThatThrownBy(() -> ledger.charge("nope", new Segment(0.1, 1, 1)))
        .isInstanceOf(UnknownDatasetException.class).hasMessageContaining("nope");
  }

  @Test
  void open_validatesIdsAndRefusesDuplicates() {
    ledger.open(HOSPITAL, new PrivacyBudget(1.0, 1e-5));
    assertThatThrownBy(() -> ledger.open(HOSPITAL, new PrivacyBudget(5.0, 1e-5)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ledger.open("has space", new PrivacyBudget(1.0, 1e-5)))
        .hasMessageContaining("dataset id");
    assertThatThrownBy(() -> ledger.open("line\nbreak", new PrivacyBudget(1.0, 1e-5)))
        .hasMessageContaining("dataset id");
    assertThatThrownBy(() -> new PrivacyBudget(-1, 1e-5)).hasMessageContaining("epsilon");
    assertThatThrownBy(() -> new PrivacyBudget(1, 0)).hasMessageContaining("delta");
  }

  @Test
  void multiDatasetCharge_isAllOrNothing() throws BudgetExceededException {
    ledger.open(HOSPITAL, new PrivacyBudget(10.0, 1e-5));
    ledger.open(BANK, new PrivacyBudget(1.5, 1e-5));
    Segment big = new Segment(0.01, 1.0, 2_000); // fits the hospital's budget, not the bank's
    assertThatThrownBy(() -> ledger.charge(List.of(HOSPITAL, BANK), big))
        .isInstanceOf(BudgetExceededException.class).hasMessageContaining(BANK);
    assertThat(ledger.history(HOSPITAL).isEmpty()).isTrue();
    assertThat(ledger.history(BANK).isEmpty()).isTrue();

    Map<String, PrivacyGuarantee> after = ledger.charge(List.of(BANK, HOSPITAL), new Segment(0.01, 2.0, 10));
    assertThat(after).containsOnlyKeys(HOSPITAL, BANK);
    assertThat(ledger.history(HOSPITAL).totalSteps()).isEqualTo(10);
    assertThat(ledger.history(BANK).totalSteps()).isEqualTo(10);
  }

  @Test
  void concurrentCharges_neverOverrunTheBudget() throws Exception {
    double budget = 2.0;
    ledger.open(HOSPITAL, new PrivacyBudget(budget, 1e-5));
    Segment step = new Segment(0.01, 1.0, 10);
    long fitSteps = RdpAccountant.defaults().maxSteps(0.01, 1.0, budget, 1e-5);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      futures.add(pool.submit(() -> {
        start.await();
        for (int k = 0; k < 60; k++) {
          try {
            PrivacyGuarantee g = ledger.charge(HOSPITAL, step);
            assertThat(g.epsilon()).isLessThanOrEqualTo(budget);
            accepted.incrementAndGet();
          } catch (BudgetExceededException e) {
            refused.incrementAndGet();
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(ledger.spent(HOSPITAL).epsilon()).isLessThanOrEqualTo(budget);
    // 480 attempts of 10 steps: exactly the whole charges that fit got through
    assertThat(accepted.get()).isEqualTo((int) (fitSteps / 10));
    assertThat(accepted.get() + refused.get()).isEqualTo(threads * 60);
    assertThat(ledger.history(HOSPITAL).totalSteps()).isEqualTo(accepted.get() * 10L);
  }

  @Test
  void concurrentMultiDatasetCharges_inOppositeOrders_doNotDeadlock() throws Exception {
    ledger.open(HOSPITAL, new PrivacyBudget(50.0, 1e-5));
    ledger.open(BANK, new PrivacyBudget(50.0, 1e-5));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      List<String> order = t % 2 == 0 ? List.of(HOSPITAL, BANK) : List.of(BANK, HOSPITAL);
      futures.add(pool.submit(() -> {
        for (int k = 0; k < 200; k++) {
          ledger.charge(order, new Segment(0.001, 2.0, 1));
          ledger.snapshot();
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(ledger.history(HOSPITAL).totalSteps()).isEqualTo(800);
    assertThat(ledger.history(BANK).totalSteps()).isEqualTo(800);
  }

  @Test
  void replay_recordsPastSpendingEvenOverBudget_andLeavesNoRoom() throws BudgetExceededException {
    PrivacyLedger live = new PrivacyLedger();
    live.open("a", new PrivacyBudget(1.0, 1e-5));
    Segment seg = new Segment(0.01, 2.0, 100);
    PrivacyGuarantee charged = live.charge("a", seg);

    PrivacyLedger rebuilt = new PrivacyLedger();
    rebuilt.open("a", new PrivacyBudget(1.0, 1e-5));
    rebuilt.replay(List.of("a"), seg);
    assertThat(rebuilt.spent("a").epsilon()).isEqualTo(charged.epsilon());
    assertThat(rebuilt.history("a")).isEqualTo(live.history("a"));

    // a replayed history may exceed the budget (the budget was lowered later): nothing more fits
    rebuilt.replay(List.of("a"), new Segment(0.5, 0.5, 1000));
    assertThat(rebuilt.spent("a").epsilon()).isGreaterThan(1.0);
    assertThatThrownBy(() -> rebuilt.charge("a", new Segment(0.01, 100.0, 1)))
        .isInstanceOf(BudgetExceededException.class);
    assertThat(rebuilt.stepsThatFit("a", 0.01, 100.0)).isZero();
  }

  @Test
  void changeBudget_keepsWhatWasSpent() throws BudgetExceededException {
    PrivacyLedger ledger = new PrivacyLedger();
    ledger.open("a", new PrivacyBudget(1.0, 1e-5));
    Segment seg = new Segment(0.01, 2.0, 100);
    double spent = ledger.charge("a", seg).epsilon();
    ledger.changeBudget("a", new PrivacyBudget(spent / 2, 1e-5));
    assertThat(ledger.spent("a").epsilon()).isEqualTo(spent);
    assertThatThrownBy(() -> ledger.charge("a", new Segment(0.01, 100.0, 1)))
        .isInstanceOf(BudgetExceededException.class);
    ledger.changeBudget("a", new PrivacyBudget(10.0, 1e-5));
    assertThat(ledger.budget("a").epsilon()).isEqualTo(10.0);
    ledger.charge("a", seg);
    assertThat(ledger.history("a").totalSteps()).isEqualTo(200);
  }
}
