package dev.rampart.coordinator;

import dev.rampart.attestation.ChannelBinding;
import dev.rampart.attestation.Endorsements;
import dev.rampart.attestation.Evidence;
import dev.rampart.attestation.EvidenceFormatException;
import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.coordinator.rpc.RpcServer;
import dev.rampart.coordinator.state.CoordinatorState;
import dev.rampart.coordinator.storage.DatasetStore;
import dev.rampart.coordinator.storage.SealingKeys;
import dev.rampart.coordinator.tee.AttestationBundle;
import dev.rampart.coordinator.tee.Attester;
import dev.rampart.coordinator.tee.ConfigfsTsmAttester;
import dev.rampart.coordinator.tee.SimulatedAttester;
import dev.rampart.journal.BootEvidence;
import dev.rampart.journal.Journal;
import dev.rampart.journal.JournalEntry;
import dev.rampart.protocol.KeyIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * A running coordinator. Boot, in order: lock the state directory; load (simulation: create) the sealing keys;
 * bring up the attester; replay the sealed journal into the state; make a fresh TLS key inside the TEE and
 * journal a boot entry whose evidence binds it; enrol the admin of {@code --admin-key}; listen.
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Coordinator.class.getName());

  private final Vertx vertx;
  private final RpcServer server;
  private final Journal journal;
  private final FileChannel lockChannel;
  private final KeyIdentity tlsKey;
  private final dev.rampart.coordinator.jobs.Jobs jobs;

  private Coordinator(Vertx vertx, RpcServer server, Journal journal, FileChannel lockChannel, KeyIdentity tlsKey,
      dev.rampart.coordinator.jobs.Jobs jobs) {
    this.jobs = jobs;
    this.vertx = vertx;
    this.server = server;
    this.journal = journal;
    this.lockChannel = lockChannel;
    this.tlsKey = tlsKey;
  }

  /** Boots and listens; returns once the port is bound. */
  public static Coordinator start(CoordinatorConfig config) throws IOException {
    Path state = config.stateDir();
    Files.createDirectories(state);
    // the state is sealed, but its layout and sizes are nobody else's business on a shared host
    Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
    FileChannel lock = FileChannel.open(state.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock l = lock.tryLock();
      if (l == null) {
        throw new IOException("another coordinator is running on " + state + "; stop it or use another --state-dir");
      }
    } catch (OverlappingFileLockException e) {
      // deliberately not closed: closing any descriptor of the file would drop the process's POSIX lock, which
      // the running coordinator holds
      throw new IOException("another coordinator in this process uses " + state);
    } catch (IOException e) {
      lock.close();
      throw e;
    }
    Vertx vertx = null;
    Journal journal = null;
    dev.rampart.coordinator.jobs.Jobs jobs = null;
    try {
      SealingKeys keys;
      Attester attester;
      boolean derivedKeys = false;
      if (config.tee().equals("simulated")) {
        Path keyFile = state.resolve(SealingKeys.FILE_NAME);
        Path journalFile = state.resolve("journal.sealed");
        if (!Files.exists(keyFile) && Files.exists(journalFile) && Files.size(journalFile) > 0) {
          // a new key would write a key file and then fail on the journal it cannot read: refuse before writing
          throw new IOException("the state directory " + state + " has a journal but no " + SealingKeys.FILE_NAME
              + ": the key that sealed its data is gone, and a new key cannot read it. Restore " + keyFile
              + " from a backup of this state directory, or start a new, empty state directory");
        }
        keys = SealingKeys.loadOrCreate(keyFile, true);
        SimulatedTee tee = SimulatedTee.loadOrCreate(state.resolve("simulated-tee"));
        attester = config.simulatedAttester() != null ? config.simulatedAttester()
            : new SimulatedAttester(tee, config.measurement());
        LOG.warning("INSECURE SIMULATED TEE: nothing protects the data; the sealing key is in "
            + state.resolve(SealingKeys.FILE_NAME) + " and the simulated root (pin it with simulatedRootSha256) is "
            + HexFormat.of().formatHex(tee.rootSha256()));
      } else {
        if (config.sealingKeyFile() != null) {
          keys = SealingKeys.loadOrCreate(config.sealingKeyFile(), false);
        } else if (config.tee().equals("sev-snp")) {
          // bound to this image's measurement and policy on this chip: nothing of it is on the host's disk
          byte[] secret = dev.rampart.coordinator.tee.SnpDerivedKey.derive(config.snpGuestDevice());
          try {
            keys = SealingKeys.fromSecret(secret);
          } finally {
            java.util.Arrays.fill(secret, (byte) 0);
          }
          derivedKeys = true;
          LOG.info("sealing keys derived from the SEV-SNP firmware (bound to this image's measurement and policy)");
        } else {
          throw new IOException("--tee tdx needs --sealing-key FILE from the key broker: TDX has no platform sealing"
              + " key, and a real TEE never writes its sealing key to the host's disk (docs/coordinator.md, 'sealing"
              + " keys')");
        }
        ConfigfsTsmAttester a = new ConfigfsTsmAttester(config.tsmRoot(), config.tee(),
            config.tsmKernel() != null ? config.tsmKernel() : ConfigfsTsmAttester.KernelSide.CONFIGFS,
            config.tdxCollateral(), config.snpCerts());
        a.checkAvailable();
        attester = a;
      }
      try {
        journal = Journal.open(state.resolve("journal.sealed"), keys.aead(), config.clock());
      } catch (dev.rampart.journal.JournalCorruptException e) {
        throw new IOException("the sealed journal fails verification (" + e.getMessage() + "); the coordinator"
            + " will not start on tampered state. Nothing was changed: restore the state directory from a backup"
            + (derivedKeys ? " (the sealing key is derived from the launch measurement: an image other than the one"
                + " that wrote this state cannot read it)" : ""), e);
      }
      if (journal.recoveredTornTail() > 0) {
        LOG.warning("the journal ended in a torn record (" + journal.recoveredTornTail() + " bytes from an"
            + " interrupted write, never acknowledged): cut off");
      }
      CoordinatorState coordinatorState = new CoordinatorState();
      for (JournalEntry e : journal.entries()) {
        java.util.Optional<dev.rampart.coordinator.state.Event> event;
        try {
          event = dev.rampart.coordinator.state.EventCodec.decode(e.type(), e.payloadJson());
        } catch (dev.rampart.coordinator.state.EventCodec.InvalidEventException bad) {
          throw new IOException("the journal's entry " + e.seq() + " does not read: " + bad.getMessage() + ". The"
              + " coordinator will not start on state it cannot read. Nothing was changed: run the Rampart version"
              + " that wrote it, or restore the state directory from a backup", bad);
        }
        event.ifPresent(x -> coordinatorState.apply(x, e.timeMillis()));
      }
      KeyIdentity tlsKey = KeyIdentity.generate("coordinator");
      // the measurement is what the evidence states: the jar's hash only in the simulated TEE, which reports it
      byte[] measurement = bootEntry(journal, attester, tlsKey, config.clock(), !config.tee().equals("simulated"));
      if (journal.recoveredTornTail() > 0) {
        // owners see in their export that a write was lost to a crash (it was never acknowledged to anyone)
        journal.append("journal.recovered", java.util.List.of(), dev.rampart.common.StrictJson.MAPPER
            .createObjectNode().put("tornBytesDropped", journal.recoveredTornTail()));
      }
      DatasetStore store = new DatasetStore(state, keys);
      int[] cleaned = store.cleanUp(id -> coordinatorState.dataset(id).isPresent(), config.clock().instant());
      if (cleaned[0] + cleaned[1] + cleaned[2] > 0) {
        LOG.info("deleted " + cleaned[0] + " temporary file(s) of interrupted writes and " + cleaned[1]
            + " upload(s) that were finished or untouched for " + DatasetStore.UPLOAD_EXPIRY.toDays() + " days;"
            + " moved " + cleaned[2] + " dataset(s) stored but not journaled before a crash back to the uploads");
      }
      Services services = Services.wire(coordinatorState, journal, store, keys, attester, measurement, state,
          config.jobThreads(), config.clock());
      jobs = services.jobs();
      if (config.adminCertificate() != null) {
        services.identities().enrollBootAdmin(KeyIdentity.parseCertificatePem(Files.readString(config.adminCertificate()),
            config.adminCertificate()));
      }
      // before anyone can submit: a job submitted now is queued once, by its submission
      jobs.resumeUnfinished();
      vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(8));
      RpcServer server = new RpcServer(vertx, services, tlsKey, config.limits());
      server.listen(config.host(), config.port()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      LOG.info("coordinator listening on " + config.host() + ":" + server.port() + " (tee " + config.tee()
          + ", measurement " + HexFormat.of().formatHex(measurement) + ", " + journal.nextSeq()
          + " journal entries)");
      return new Coordinator(vertx, server, journal, lock, tlsKey, jobs);
    } catch (ExecutionException | TimeoutException e) {
      closeQuietly(jobs, vertx, journal, lock);
      throw new IOException("could not listen on " + config.host() + ":" + config.port() + ": "
          + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(jobs, vertx, journal, lock);
      throw new IOException("interrupted while starting", e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(jobs, vertx, journal, lock);
      throw e;
    }
  }

  /**
   * Writes this boot's journal entry: evidence from the TEE binding this boot's nonce and TLS key, and the
   * measurement the evidence itself states (SNP's MEASUREMENT, TDX's digest of MRTD, MRCONFIGID, MROWNER,
   * MROWNERCONFIG and RTMR0-3, Nitro's PCR0, the simulated TEE's report), as the verifier reads it.
   *
   * @param realTee whether the TEE is real: then evidence its vendor does not endorse, or whose endorsements are not
   *     current, stops the boot (the simulated TEE's chain ends at its own root, which owners pin)
   * @return that measurement
   * @throws IOException naming the platform and the measurement if the evidence cannot start a boot
   */
  private static byte[] bootEntry(Journal journal, Attester attester, KeyIdentity tlsKey, Clock clock,
      boolean realTee) throws IOException {
    byte[] spki = tlsKey.certificate().getPublicKey().getEncoded();
    byte[] nonce = Journal.bootNonce(journal.headHash());
    AttestationBundle b = attester.attest(ChannelBinding.reportData(nonce, spki));
    Evidence evidence;
    try {
      evidence = Evidence.decode(b.evidence());
    } catch (EvidenceFormatException e) {
      throw new IOException("the TEE produced evidence this coordinator cannot parse: " + e.getMessage(), e);
    }
    Endorsements endorsements = new Endorsements(b.endorsementKey(), b.chain(), b.collateral());
    dev.rampart.attestation.VerificationResult r;
    try {
      // a policy naming only the evidence's own platform: of its result only the measurement and the currency of
      // the endorsements are read here (owners' verifiers hold it to their own policies)
      r = dev.rampart.attestation.AttestationVerifier.verify(evidence, endorsements,
          dev.rampart.attestation.AttestationPolicy.builder().platform(evidence.platform()).build(),
          clock.instant(), nonce, spki);
    } catch (EvidenceFormatException e) {
      throw new IOException("the TEE's " + evidence.platform().id() + " evidence cannot be read: " + e.getMessage(), e);
    }
    if (realTee && r.failed(dev.rampart.attestation.Check.VALIDITY)) {
      // every client would refuse it: say so at boot, not at the first client
      throw new IOException("the TEE's " + evidence.platform().id() + " evidence is not current: " + r.failures()
          .stream().filter(f -> f.check() == dev.rampart.attestation.Check.VALIDITY).map(f -> f.detail()).toList()
          + (evidence.platform().id().equals("tdx") ? "; refresh --tdx-collateral from Intel's PCS or your PCCS" : ""));
    }
    java.util.Set<dev.rampart.attestation.Check> endorsement = java.util.EnumSet.of(
        dev.rampart.attestation.Check.CHAIN, dev.rampart.attestation.Check.SIGNATURE,
        dev.rampart.attestation.Check.PRODUCT, dev.rampart.attestation.Check.CHIP_ID);
    java.util.List<String> unendorsed = r.failures().stream().filter(f -> endorsement.contains(f.check()))
        .map(f -> f.check().id() + ": " + f.detail()).toList();
    if (realTee && !unendorsed.isEmpty()) {
      // a report no verifier can chain to the vendor (a wrong VCEK in --snp-certs, a forged collateral) would boot a
      // coordinator that every client refuses
      throw new IOException("the TEE's " + evidence.platform().id() + " evidence is not endorsed by its vendor: "
          + unendorsed + (evidence.platform().id().equals("sev-snp") ? "; check the chip's VCEK (--snp-certs)"
              : "; check --tdx-collateral"));
    }
    byte[] measurement = r.measurement();
    if (measurement == null || measurement.length == 0) {
      throw new IOException("the TEE's " + evidence.platform().id() + " evidence states no measurement");
    }
    try {
      journal.startBoot(new KeyPair(tlsKey.certificate().getPublicKey(), tlsKey.privateKey()),
          new BootEvidence(evidence, endorsements, measurement));
    } catch (IllegalArgumentException e) {
      throw new IOException("the TEE's " + evidence.platform().id() + " evidence (measurement "
          + HexFormat.of().formatHex(measurement) + ") cannot start this boot: " + e.getMessage(), e);
    }
    return measurement;
  }

  private static void closeQuietly(dev.rampart.coordinator.jobs.Jobs jobs, Vertx vertx, Journal journal, FileChannel lock) {
    if (jobs != null) {
      jobs.close();
    }
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warning("closing Vert.x: " + e.getMessage());
    }
    try {
      if (journal != null) {
        journal.close();
      }
    } catch (IOException e) {
      LOG.warning("closing the journal: " + e.getMessage());
    } finally {
      try {
        lock.close(); // whatever happened above: the state directory is free for the next coordinator
      } catch (IOException e) {
        LOG.warning("releasing the state directory's lock: " + e.getMessage());
      }
    }
  }

  public int port() {
    return server.port();
  }

  /** The TLS public key (SPKI DER) this boot attested. */
  public byte[] tlsSpki() {
    return tlsKey.certificate().getPublicKey().getEncoded();
  }

  public Map<String, Long> callCounts() {
    return server.callCounts();
  }

  public Journal journal() {
    return journal;
  }

  public dev.rampart.coordinator.jobs.Jobs jobs() {
    return jobs;
  }

  @Override
  public void close() {
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warning("closing the server: " + e.getMessage());
    }
    closeQuietly(jobs, vertx, journal, lockChannel);
  }
}
