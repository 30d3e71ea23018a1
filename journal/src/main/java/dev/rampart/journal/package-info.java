/**
 * The audit journal (docs/journal.md): {@link dev.rampart.journal.Journal} is the coordinator's append-only,
 * hash-chained, signed and sealed journal file; {@link dev.rampart.journal.JournalExport} the file format data
 * owners receive; {@link dev.rampart.journal.JournalVerifier} what they run on it offline.
 */
package dev.rampart.journal;
