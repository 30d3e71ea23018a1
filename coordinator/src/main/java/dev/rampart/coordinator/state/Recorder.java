package dev.rampart.coordinator.state;

import dev.rampart.accountant.BudgetExceededException;
import dev.rampart.accountant.PrivacyGuarantee;
import dev.rampart.journal.Journal;
import dev.rampart.journal.JournalEntry;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The one way the coordinator's state changes: an {@link Event} is appended to the journal (forced to disk), read
 * back through the {@link EventCodec} and applied, under one lock, so the state is always what the journal says
 * and a live change is applied exactly as the next boot's replay will apply it.
 */
public final class Recorder {
  private final Journal journal;
  private final CoordinatorState state;
  private final Object mutations = new Object();

  public Recorder(Journal journal, CoordinatorState state) {
    this.journal = journal;
    this.state = state;
  }

  public CoordinatorState state() {
    return state;
  }

  public Journal journal() {
    return journal;
  }

  /**
   * The lock every state change holds: a caller that checks the state and then records an event that depends on
   * what it saw holds it across both.
   */
  public Object lock() {
    return mutations;
  }

  /**
   * Appends an event (forced to disk) and applies it. The payload is read back through the codec before it is
   * written, so an entry the next boot could not read (a codec bug, a non-finite number) is refused here and never
   * reaches the journal; what is applied is that reading, exactly what a replay applies.
   */
  public JournalEntry record(Event event, List<String> subjects) throws IOException {
    com.fasterxml.jackson.databind.node.ObjectNode fields = EventCodec.encode(event);
    Event readBack = EventCodec.decode(event.type(), fields).orElseThrow();
    synchronized (mutations) {
      JournalEntry e = journal.append(event.type(), subjects, fields);
      state.apply(readBack, e.timeMillis());
      return e;
    }
  }

  /**
   * Charges an event's privacy cost: checked against every dataset's budget, then journaled and applied (which adds
   * it to the ledger), with the lock held throughout so that no other charge comes in between. The caller releases
   * nothing derived from the data before this returns.
   *
   * @return what each dataset has spent after the charge
   * @throws BudgetExceededException if it does not fit; nothing is journaled or charged
   */
  public Map<String, PrivacyGuarantee> charge(Event.Charging event, List<String> subjects)
      throws BudgetExceededException, IOException {
    synchronized (mutations) {
      Map<String, PrivacyGuarantee> after = state.ledger().check(event.charge().datasetIds(), event.charge().segment());
      record(event, subjects);
      return after;
    }
  }
}
