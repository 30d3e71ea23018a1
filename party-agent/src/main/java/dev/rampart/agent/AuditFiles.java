package dev.rampart.agent;

import dev.rampart.journal.JournalEntry;
import java.util.List;

/** Converts exported journal entries from the wire to the journal library's form (for offline verification). */
public final class AuditFiles {
  private AuditFiles() {}

  public static List<JournalEntry> fromProto(List<dev.rampart.protocol.v1.JournalEntry> entries) {
    return entries.stream().map(AuditFiles::fromProto).toList();
  }

  public static JournalEntry fromProto(dev.rampart.protocol.v1.JournalEntry e) {
    return new JournalEntry(e.getSeq(), e.getPrevHash().toByteArray(), e.getTimeMillis(), e.getType(),
        e.getPayloadSha256().toByteArray(), e.getRedacted() ? null : e.getPayload().toByteArray(),
        e.getSignerSpki().toByteArray(), e.getSignature().toByteArray());
  }
}
