package dev.rampart.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.Aead;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.AttestationVerifier;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Check;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.VerificationResult;
import dev.rampart.journal.internal.Ecdsa;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The coordinator's audit journal file: append-only, hash-chained, every entry signed by the key the latest boot
 * entry introduced and attested, every record sealed with an AEAD (docs/journal.md).
 *
 * <p>Lifecycle: {@link #open} reads and checks the whole file (the coordinator rebuilds its state from
 * {@link #entries()}); {@link #startBoot} appends this process's boot entry and makes its key the signer;
 * {@link #append} journals each state change and returns only once the record is on disk. Thread-safe: appends
 * are serialised.
 */
public final class Journal implements Closeable {
  private static final byte[] BOOT_NONCE_LABEL = "rampart-journal-boot/v1\0".getBytes(StandardCharsets.US_ASCII);

  private final Path file;
  private final Aead aead;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final FileChannel channel;
  private final FileLock lock;
  private final long tornTailBytes;
  private final List<JournalEntry> entries;
  private final ChainCheck chain;
  private long lastTimeMillis;
  private KeyPair signer;
  private IOException writeFailure;
  private boolean closed;

  private Journal(Path file, Aead aead, Clock clock, FileChannel channel, FileLock lock, long tornTailBytes,
      List<JournalEntry> entries, ChainCheck chain) {
    this.file = file;
    this.aead = aead;
    this.clock = clock;
    this.channel = channel;
    this.lock = lock;
    this.tornTailBytes = tornTailBytes;
    this.entries = entries;
    this.chain = chain;
    this.lastTimeMillis = entries.isEmpty() ? 0 : entries.get(entries.size() - 1).timeMillis();
  }

  /** {@link #open(Path, Aead, Clock)} with the system clock. */
  public static Journal open(Path file, Aead aead) throws IOException, JournalCorruptException {
    return open(file, aead, Clock.systemUTC());
  }

  /**
   * Opens a journal file, creating it if absent, and checks every record: decryption, format, seqs, hash chain,
   * signatures, signers. Boot evidence is not verified here: the coordinator trusts its own past, and data owners
   * verify it offline with {@link JournalVerifier}.
   *
   * <p>A record cut short at the end of the file (what kill -9 during an append leaves) is cut off and reported
   * by {@link #recoveredTornTail()}; that is the only write {@code open} ever makes to existing content.
   *
   * @param clock the source of entry times
   * @throws JournalCorruptException if a complete record cannot be trusted; the file is left untouched
   * @throws JournalLockedException if another process or another open {@code Journal} holds the file
   */
  public static Journal open(Path file, Aead aead, Clock clock) throws IOException, JournalCorruptException {
    boolean existed = Files.exists(file);
    // APPEND: the channel can only ever add at the end, so no bug here can overwrite an entry
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    FileLock lock = null;
    try {
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new JournalLockedException(file);
      }
      if (!existed) {
        // make the new file's directory entry durable, or a crash could lose the whole journal
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
          dir.force(true);
        }
      }
      List<JournalEntry> entries = new ArrayList<>();
      ChainCheck chain = new ChainCheck();
      long valid = readRecords(file, aead, entries, chain);
      long torn = channel.size() - valid;
      if (torn > 0) {
        channel.truncate(valid);
        channel.force(true);
      }
      return new Journal(file, aead, clock, channel, lock, torn, entries, chain);
    } catch (IOException | JournalCorruptException | RuntimeException e) {
      if (lock != null) {
        lock.release();
      }
      channel.close();
      throw e;
    }
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether everything left in the stream is zero bytes. */
  private static boolean restIsZero(InputStream in) throws IOException {
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) > 0; ) {
      for (int i = 0; i < n; i++) {
        if (buf[i] != 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** Reads and checks every complete record; returns the length of the valid prefix of the file. */
  private static long readRecords(Path file, Aead aead, List<JournalEntry> entries, ChainCheck chain)
      throws IOException, JournalCorruptException {
    long valid = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      for (long seq = 0; ; seq++) {
        byte[] prefix = in.readNBytes(SealedRecord.LENGTH_PREFIX_BYTES);
        if (prefix.length < SealedRecord.LENGTH_PREFIX_BYTES) {
          return valid; // end of file, or a torn length prefix
        }
        int length = ByteBuffer.wrap(prefix).getInt();
        if (length == 0 && restIsZero(in)) {
          // a zero-filled tail: a power loss after the file grew but before the data reached the disk. Such bytes
          // were never acknowledged (an append returns only after force()), so, like a torn record, they are dropped
          return valid;
        }
        if (length < SealedRecord.MIN_RECORD_BYTES || length > SealedRecord.MAX_RECORD_BYTES) {
          throw new JournalCorruptException(file, new JournalProblem(seq, JournalProblem.Kind.FORMAT, "the record"
              + " length " + Integer.toUnsignedString(length) + " is outside [" + SealedRecord.MIN_RECORD_BYTES
              + ", " + SealedRecord.MAX_RECORD_BYTES + "]: the length prefix is damaged"));
        }
        byte[] ciphertext = in.readNBytes(length);
        if (ciphertext.length < length) {
          return valid; // a torn record body: the append that wrote it never returned
        }
        JournalEntry e;
        try {
          e = unseal(file, aead, ciphertext, seq);
        } catch (JournalCorruptException c) {
          if (allZero(ciphertext) && restIsZero(in)) {
            return valid; // a length prefix on disk, its body zero-filled by a power loss: never acknowledged
          }
          throw c;
        }
        List<JournalProblem> problems = chain.check(e);
        if (!problems.isEmpty()) {
          throw new JournalCorruptException(file, problems.get(0));
        }
        chain.advance(e);
        entries.add(e);
        valid += SealedRecord.LENGTH_PREFIX_BYTES + length;
      }
    }
  }

  private static JournalEntry unseal(Path file, Aead aead, byte[] ciphertext, long seq)
      throws JournalCorruptException {
    byte[] plaintext;
    try {
      plaintext = aead.decrypt(ciphertext, SealedRecord.associatedData(seq));
    } catch (GeneralSecurityException e) {
      throw new JournalCorruptException(file, new JournalProblem(seq, JournalProblem.Kind.SEALED_RECORD, seq == 0
          ? "the first record does not decrypt: the sealing key is most likely not the one this journal was"
              + " written with (another TEE, another key file), or the record was altered"
          : "the record does not decrypt with the sealing key: it was altered, or moved from another position"));
    }
    try {
      return SealedRecord.parse(plaintext);
    } catch (IllegalArgumentException e) {
      throw new JournalCorruptException(file, new JournalProblem(seq, JournalProblem.Kind.FORMAT,
          "the record decrypts but does not parse: " + e.getMessage()));
    }
  }

  /**
   * The nonce a boot entry's evidence must bind, with the new key, through
   * {@link ChannelBinding#reportData(byte[], byte[])}: SHA-256("rampart-journal-boot/v1\0" ‖ prevHash). Deriving
   * it from the previous entry's hash ties the evidence to this point of this journal: it cannot have been made
   * before that entry existed, nor be reused at another point.
   *
   * @param prevHash the hash the boot entry will chain to ({@link #headHash()})
   */
  public static byte[] bootNonce(byte[] prevHash) {
    if (prevHash.length != JournalEntry.HASH_LENGTH) {
      throw new IllegalArgumentException("prevHash must be " + JournalEntry.HASH_LENGTH + " bytes, got "
          + prevHash.length);
    }
    MessageDigest d = JournalEntry.sha256();
    d.update(BOOT_NONCE_LABEL);
    d.update(prevHash);
    return d.digest(); // SHA-256 is exactly ChannelBinding.NONCE_LENGTH (32) bytes
  }

  /** A predicate for {@link #export}: entries whose payload names at least one of {@code subjects}. */
  public static Predicate<JournalEntry> concerning(Collection<String> subjects) {
    Set<String> wanted = Set.copyOf(subjects);
    return e -> !e.isRedacted() && e.subjects().stream().anyMatch(wanted::contains);
  }

  /** Every entry, oldest first: what the coordinator rebuilds its state from. A snapshot. */
  public synchronized List<JournalEntry> entries() {
    return List.copyOf(entries);
  }

  /** How many bytes of a torn last record {@link #open} cut off; 0 if the file ended cleanly. */
  public long recoveredTornTail() {
    return tornTailBytes;
  }

  /** The seq the next entry will get. */
  public synchronized long nextSeq() {
    return chain.nextSeq();
  }

  /** The hash the next entry will chain to: the last entry's hash, or 32 zero bytes for an empty journal. */
  public synchronized byte[] headHash() {
    return chain.head();
  }

  /** The path of the journal file. */
  public Path file() {
    return file;
  }

  /**
   * Appends a boot entry introducing {@code signer}'s public key, and makes {@code signer} the key every later
   * entry of this process is signed with. Call it once per process start, before any {@link #append}: get the
   * evidence from the TEE for report data
   * {@code ChannelBinding.reportData(Journal.bootNonce(journal.headHash()), signer.getPublic().getEncoded())}.
   *
   * @throws IllegalArgumentException if the key is not ECDSA P-256, its halves do not match, or the evidence does
   *     not bind this boot's nonce and this key, or states another measurement than {@code evidence.measurement()}
   * @throws IOException if the record could not be written; see {@link #append}
   */
  public synchronized JournalEntry startBoot(KeyPair signer, BootEvidence evidence) throws IOException {
    requireWritable();
    if (!Ecdsa.isP256(signer.getPublic()) || !"EC".equals(signer.getPrivate().getAlgorithm())) {
      throw new IllegalArgumentException("the journal signs with ECDSA P-256; the signer key is "
          + Ecdsa.describe(signer.getPublic()) + ": generate it with KeyPairGenerator.getInstance(\"EC\") and"
          + " new ECGenParameterSpec(\"secp256r1\")");
    }
    byte[] spki = signer.getPublic().getEncoded();
    requireBinding(evidence, spki);
    byte[] payload = Payloads.encode(List.of(), BootPayload.fields(evidence, spki), salt());
    JournalEntry e = write(JournalEntry.BOOT, payload, signer);
    this.signer = signer;
    return e;
  }

  /**
   * Refuses evidence that the offline verifier would reject for a reason the coordinator controls: a report over
   * another nonce or key (a stale head, a mixed-up key) would make a boot nobody can ever verify. Whether the
   * evidence chains to a trusted root is the verifiers' business, under their own policies.
   */
  private void requireBinding(BootEvidence evidence, byte[] spki) {
    byte[] nonce = bootNonce(chain.head());
    VerificationResult r;
    try {
      // a policy that names only the evidence's own platform: of its result we read only binding and measurement
      AttestationPolicy any = AttestationPolicy.builder().platform(evidence.evidence().platform()).build();
      r = AttestationVerifier.verify(evidence.evidence(), evidence.endorsements(), any, clock.instant(), nonce,
          spki);
    } catch (EvidenceFormatException e) {
      throw new IllegalArgumentException("the boot evidence cannot be parsed: " + e.getMessage());
    }
    if (r.failed(Check.BINDING)) {
      throw new IllegalArgumentException("the boot evidence does not bind this boot: its report data must be"
          + " ChannelBinding.reportData(Journal.bootNonce(journal.headHash()), the signer's SPKI) for head "
          + chain.nextSeq() + " and this signer key");
    }
    if (!MessageDigest.isEqual(r.measurement(), evidence.measurement())) {
      throw new IllegalArgumentException("the boot evidence states measurement " + r.measurementHex()
          + ", not " + evidence.measurementHex() + " as given");
    }
  }

  /**
   * Appends an entry signed by the current boot's key and returns it once its record is on disk.
   *
   * @param type what happened, like {@code dataset.stored} (not {@code boot}: see {@link #startBoot})
   * @param subjects the dataset ids and principal fingerprints the entry concerns: exports show its payload in
   *     full to them only
   * @param fields the type's own fields (copied); must not use the names {@code subjects} or {@code salt}
   * @throws IllegalStateException if no boot was started in this process, or the journal is closed
   * @throws IllegalArgumentException if the type, a subject or a field name is invalid, or the payload too large
   * @throws IOException if the record could not be written and forced to disk; the journal then refuses further
   *     entries (the file may end in a partial record, which the next {@link #open} cuts off): restart
   */
  public synchronized JournalEntry append(String type, Collection<String> subjects, ObjectNode fields)
      throws IOException {
    requireWritable();
    JournalEntry.requireType(type);
    if (JournalEntry.BOOT.equals(type)) {
      throw new IllegalArgumentException("boot entries are written by startBoot, which binds them to TEE evidence");
    }
    if (signer == null) {
      throw new IllegalStateException("no boot in this process yet: call startBoot(signer, evidence) before"
          + " appending; each process start is a new boot with a new attested key");
    }
    return write(type, Payloads.encode(subjects, fields, salt()), signer);
  }

  private JournalEntry write(String type, byte[] payload, KeyPair key) throws IOException {
    long seq = chain.nextSeq();
    // the host's clock may step back; entries stay in time order anyway
    long time = Math.max(clock.millis(), lastTimeMillis);
    JournalEntry e;
    try {
      e = EntrySigner.sign(seq, chain.head(), time, type, payload, key);
    } catch (GeneralSecurityException ex) {
      throw new IllegalArgumentException("the signer key cannot sign: " + ex.getMessage(), ex);
    }
    // never write what open() would refuse: a mismatched key pair, say, would leave a journal that cannot boot
    List<JournalProblem> problems = chain.check(e);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("the entry would not verify: " + problems.get(0).detail()
          + (problems.get(0).kind() == JournalProblem.Kind.SIGNATURE ? " (do the signer's private and public keys"
              + " belong together?)" : ""));
    }
    byte[] ciphertext;
    try {
      ciphertext = aead.encrypt(SealedRecord.plaintext(e), SealedRecord.associatedData(seq));
    } catch (GeneralSecurityException ex) {
      throw new IOException("could not seal the entry for seq " + seq + ": " + ex.getMessage(), ex);
    }
    ByteBuffer record = ByteBuffer.allocate(SealedRecord.LENGTH_PREFIX_BYTES + ciphertext.length);
    record.putInt(ciphertext.length).put(ciphertext).flip();
    try {
      while (record.hasRemaining()) {
        channel.write(record);
      }
      channel.force(true);
    } catch (IOException ex) {
      writeFailure = ex;
      throw new IOException("journal " + file + ": writing seq " + seq + " failed; the journal accepts no more"
          + " entries in this process: restart (open() cuts off a partial record)", ex);
    }
    chain.advance(e);
    entries.add(e);
    lastTimeMillis = time;
    return e;
  }

  private void requireWritable() throws IOException {
    if (closed) {
      throw new IllegalStateException("journal " + file + " is closed");
    }
    if (writeFailure != null) {
      throw new IOException("journal " + file + " failed to write an earlier entry and accepts no more in this"
          + " process: restart (open() cuts off a partial record)", writeFailure);
    }
  }

  private byte[] salt() {
    byte[] s = new byte[Payloads.SALT_BYTES];
    random.nextBytes(s);
    return s;
  }

  /**
   * The journal as one reader may see it: every entry, but those {@code visible} rejects have their payload
   * removed ({@link JournalEntry#redacted()}); their hashes and signatures still verify. Boot entries are always
   * whole, since without them nothing can be verified.
   *
   * @param visible which entries this reader may read, e.g. {@link #concerning(Collection)} its subjects
   */
  public synchronized List<JournalEntry> export(Predicate<JournalEntry> visible) {
    List<JournalEntry> out = new ArrayList<>(entries.size());
    for (JournalEntry e : entries) {
      out.add(e.isBoot() || visible.test(e) ? e : e.redacted());
    }
    return List.copyOf(out);
  }

  /** Releases the file; later appends throw {@link IllegalStateException}. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
