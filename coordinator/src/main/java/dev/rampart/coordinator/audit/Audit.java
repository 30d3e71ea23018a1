package dev.rampart.coordinator.audit;

import com.google.protobuf.ByteString;
import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.coordinator.state.CoordinatorState.Dataset;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.journal.Journal;
import dev.rampart.journal.JournalEntry;
import dev.rampart.protocol.v1.*;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** The journal as each principal may see it: every entry, payloads only where they concern the caller. */
public final class Audit {
  private static final int EXPORT_PAGE = 1000;
  private static final long EXPORT_PAGE_BYTES = 2L << 20;
  private final Journal journal;
  private final CoordinatorState state;

  public Audit(Journal journal, CoordinatorState state) {
    this.journal = journal;
    this.state = state;
  }

  public ExportJournalResponse exportJournal(Caller caller, ExportJournalRequest r) throws ServiceException {
    if (caller.principal() == null) {
      throw ServiceException.denied("not enrolled");
    }
    if (r.getFromSeq() < 0) {
      throw ServiceException.invalid("from_seq must be >= 0");
    }
    int page = r.getMaxEntries() <= 0 ? EXPORT_PAGE : Math.min(r.getMaxEntries(), EXPORT_PAGE);
    Predicate<JournalEntry> visible = visibleTo(caller);
    List<JournalEntry> all = journal.entries();
    ExportJournalResponse.Builder b = ExportJournalResponse.newBuilder().setChainLength(all.size());
    long end = Math.min(all.size(), r.getFromSeq() + page);
    long i = r.getFromSeq();
    long bytes = 0;
    // pages end at about 2 MiB, well inside the 4 MiB message limit (boot entries carry evidence and chains)
    for (; i < end && (bytes < EXPORT_PAGE_BYTES || i == r.getFromSeq()); i++) {
      JournalEntry e = all.get((int) i);
      dev.rampart.protocol.v1.JournalEntry shown = toProto(e.isBoot() || visible.test(e) ? e : e.redacted());
      bytes += shown.getSerializedSize();
      b.addEntries(shown);
    }
    return b.setNextSeq(Math.max(i, r.getFromSeq())).build();
  }

  private Predicate<JournalEntry> visibleTo(Caller caller) {
    if (caller.principal().getRole() == Role.ADMIN) {
      return e -> true;
    }
    Set<String> mine = new LinkedHashSet<>();
    mine.add(caller.fingerprint());
    for (Dataset d : state.datasets()) {
      if (d.ownerFingerprint().equals(caller.fingerprint())) {
        mine.add(d.id());
      }
    }
    return e -> e.subjects().stream().anyMatch(mine::contains);
  }

  public static dev.rampart.protocol.v1.JournalEntry toProto(JournalEntry e) {
    dev.rampart.protocol.v1.JournalEntry.Builder b = dev.rampart.protocol.v1.JournalEntry.newBuilder()
        .setSeq(e.seq()).setPrevHash(ByteString.copyFrom(e.prevHash())).setTimeMillis(e.timeMillis())
        .setType(e.type()).setPayloadSha256(ByteString.copyFrom(e.payloadSha256()))
        .setSignerSpki(ByteString.copyFrom(e.signerSpki())).setSignature(ByteString.copyFrom(e.signature()))
        .setRedacted(e.isRedacted());
    if (!e.isRedacted()) {
      b.setPayload(ByteString.copyFrom(e.payload()));
    }
    return b.build();
  }
}
