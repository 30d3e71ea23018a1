package dev.rampart.cli;

import dev.rampart.agent.AgentConfig;
import dev.rampart.agent.AuditFiles;
import dev.rampart.agent.PartyAgent;
import dev.rampart.agent.Uploader;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.datasets.DatasetFormatException;
import dev.rampart.journal.JournalAnchor;
import dev.rampart.journal.JournalEntry;
import dev.rampart.journal.JournalExport;
import dev.rampart.journal.JournalExportException;
import dev.rampart.journal.JournalReport;
import dev.rampart.journal.JournalVerifier;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.DatasetInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rampart agent …}: the data owner's party agent. */
@Command(name = "agent", description = "The data owner's party agent: publish datasets, decide approvals, audit.",
    subcommands = {AgentCommand.Run.class, AgentCommand.Status.class, AgentCommand.Approvals.class,
        AgentCommand.Approve.class, AgentCommand.Deny.class, AgentCommand.Audit.class})
final class AgentCommand {

  /** Shared: read agent.yaml, map failures to exit codes. */
  abstract static class WithConfig implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "agent.yaml (docs/party-agent.md)")
    Path config;

    AgentConfig read() {
      try {
        return AgentConfig.read(config);
      } catch (IOException e) {
        throw Arguments.bad(spec, e.getMessage());
      }
    }

    PartyAgent agent(AgentConfig c) {
      try {
        return PartyAgent.of(c, Clock.systemUTC());
      } catch (IOException e) {
        throw Arguments.bad(spec, e.getMessage());
      }
    }

    @Override
    public Integer call() throws Exception {
      AgentConfig c = read();
      try (PartyAgent agent = agent(c)) {
        return run(c, agent, spec.commandLine().getOut());
      } catch (RpcException e) {
        spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
        return ExitCodes.of(e);
      }
    }

    abstract int run(AgentConfig c, PartyAgent agent, PrintWriter out) throws Exception;
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = {
      "Attests the coordinator against the policy, then publishes every dataset of the configuration with its",
      "license. Idempotent: a stored dataset is not sent again (a changed license is updated). Foreground, logs",
      "to stdout, exit 0 when every dataset is published (1 refused, 2 bad configuration or data, 4 unreachable)."})
  static final class Run extends WithConfig {
    @Override
    int run(AgentConfig c, PartyAgent agent, PrintWriter out) throws Exception {
      Logs.to(System.out);
      try {
        List<Uploader.Result> results = agent.publish(c, new BarProgress());
        for (Uploader.Result r : results) {
          out.println("dataset=" + r.dataset().getManifest().getName() + " id=" + r.dataset().getManifest().getDatasetId()
              + " rows=" + r.dataset().getManifest().getRows()
              + " state=" + (r.uploaded() ? "uploaded" : r.licenseChanged() ? "license-updated" : "unchanged"));
        }
        out.flush();
        return ExitCodes.SUCCESS;
      } catch (DatasetFormatException e) {
        spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
        return ExitCodes.USAGE;
      } catch (java.nio.file.NoSuchFileException e) {
        spec.commandLine().getErr().println(spec.qualifiedName() + ": no such file: " + e.getFile()
            + " (check the paths in " + config + ")");
        return ExitCodes.USAGE;
      } catch (java.io.IOException e) {
        // the data files could not be read (unreadable, damaged gzip): the owner's input, not Rampart
        spec.commandLine().getErr().println(spec.qualifiedName() + ": cannot read the data: " + e.getMessage());
        return ExitCodes.USAGE;
      }
    }
  }

  /** A progress bar on stderr (stdout carries the log and the results). */
  static final class BarProgress implements Uploader.Progress {
    private ProgressBar bar;

    @Override
    public void start(String name, long totalBytes, long alreadyBytes) {
      bar = new ProgressBarBuilder().setTaskName("upload " + name).setInitialMax(totalBytes)
          .setUnit(" MiB", 1 << 20).showSpeed().setConsumer(new ConsoleProgressBarConsumer(System.err))
          .startsFrom(alreadyBytes, java.time.Duration.ZERO).build();
    }

    @Override
    public void advance(long bytesDone) {
      if (bar != null) {
        bar.stepTo(bytesDone);
      }
    }

    @Override
    public void done() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Attests the coordinator and shows this owner's datasets and pending approvals.")
  static final class Status extends WithConfig {
    @Override
    int run(AgentConfig c, PartyAgent agent, PrintWriter out) throws Exception {
      List<DatasetInfo> ds = agent.datasets().getDatasetsList();
      List<ApprovalRequest> pending = agent.approvals(true);
      out.println("coordinator=" + c.coordinator() + " attested=yes identity=" + agent.identity().name()
          + " datasets=" + ds.size() + " pending_approvals=" + pending.size());
      for (DatasetInfo d : ds) {
        out.println("dataset=" + d.getManifest().getName() + " id=" + d.getManifest().getDatasetId() + " rows="
            + d.getManifest().getRows() + " epsilon_budget=" + d.getLicense().getEpsilon());
      }
      return ExitCodes.SUCCESS;
    }
  }

  @Command(name = "approvals", mixinStandardHelpOptions = true, description = "Lists approval requests on your datasets.")
  static final class Approvals extends WithConfig {
    @Option(names = "--all", description = "Also decided requests.") boolean all;

    @Override
    int run(AgentConfig c, PartyAgent agent, PrintWriter out) throws Exception {
      for (ApprovalRequest r : agent.approvals(!all)) {
        out.println("id=" + r.getId() + " kind=" + r.getKind() + " subject=" + r.getSubject() + " requester="
            + r.getRequesterName() + " state=" + r.getState().name().toLowerCase() + " datasets="
            + String.join(",", r.getDatasetIdsList()));
      }
      return ExitCodes.SUCCESS;
    }
  }

  @Command(name = "approve", mixinStandardHelpOptions = true, description = "Approves a request.")
  static final class Approve extends WithConfig {
    @Parameters(paramLabel = "ID") String id;
    @Option(names = "--reason", defaultValue = "") String reason;

    @Override
    int run(AgentConfig c, PartyAgent agent, PrintWriter out) throws Exception {
      ApprovalRequest r = agent.decide(id, true, reason);
      out.println("id=" + r.getId() + " state=" + r.getState().name().toLowerCase());
      return ExitCodes.SUCCESS;
    }
  }

  @Command(name = "deny", mixinStandardHelpOptions = true, description = "Denies a request.")
  static final class Deny extends WithConfig {
    @Parameters(paramLabel = "ID") String id;
    @Option(names = "--reason", required = true) String reason;

    @Override
    int run(AgentConfig c, PartyAgent agent, PrintWriter out) throws Exception {
      ApprovalRequest r = agent.decide(id, false, reason);
      out.println("id=" + r.getId() + " state=" + r.getState().name().toLowerCase());
      return ExitCodes.SUCCESS;
    }
  }

  @Command(name = "audit", description = "Export and verify the coordinator's audit journal.",
      subcommands = {Audit.Export.class, Audit.Verify.class})
  static final class Audit {
    @Command(name = "export", mixinStandardHelpOptions = true, description = {
        "Writes the journal as this owner may see it (JSON lines): every entry, with the content of entries that",
        "do not concern your datasets removed (their hashes and signatures remain, so the chain still verifies)."})
    static final class Export extends WithConfig {
      @Option(names = "--out", required = true, paramLabel = "FILE") Path out;

      @Override
      int run(AgentConfig c, PartyAgent agent, PrintWriter stdout) throws Exception {
        List<JournalEntry> entries = AuditFiles.fromProto(agent.exportJournal());
        dev.rampart.common.AtomicFiles.write(out, false, o -> JournalExport.write(entries, o));
        stdout.println("entries=" + entries.size() + " file=" + out);
        return ExitCodes.SUCCESS;
      }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = {
        "Verifies an exported journal offline: sequence, hash chain, signatures, and each boot's attestation",
        "against your policy. Prints a summary and the last entry (keep it: --anchor detects a later truncation).",
        "Exit 0 valid, 1 a problem found, 2 unusable file."})
    static final class Verify implements Callable<Integer> {
      @Spec CommandSpec spec;
      @Option(names = "--file", required = true, paramLabel = "FILE") Path file;
      @Option(names = "--policy", required = true, paramLabel = "FILE") Path policy;
      @Option(names = "--anchor", paramLabel = "SEQ:HASH",
          description = "An entry seen in an earlier export; it must still be there, unchanged.") String anchor;

      @Override
      public Integer call() throws Exception {
        AttestationPolicy p;
        List<JournalEntry> entries;
        JournalAnchor a = null;
        try {
          p = PartyAgent.readPolicy(policy);
          try (InputStream in = Files.newInputStream(file)) {
            entries = JournalExport.read(in);
          }
          if (anchor != null) {
            a = JournalAnchor.parse(anchor);
          }
        } catch (IOException | JournalExportException | IllegalArgumentException e) {
          throw Arguments.bad(spec, e.getMessage());
        }
        JournalReport report = JournalVerifier.verify(entries, p, a);
        spec.commandLine().getOut().println(report.summary());
        return report.ok() ? ExitCodes.SUCCESS : ExitCodes.NEGATIVE;
      }
    }
  }
}
