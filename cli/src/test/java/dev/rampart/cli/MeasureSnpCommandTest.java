package dev.rampart.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code rampart measure snp} prints every known answer of the shared SNP cases, and refuses what it must. */
class MeasureSnpCommandTest {
  @TempDir Path tmp;

  private static Path cases() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path c = p.resolveSibling("shared/testvectors/measurement/snp");
      if (Files.isDirectory(c)) {
        return c;
      }
    }
    throw new IllegalStateException("../shared/testvectors/measurement/snp not found beside the project root");
  }

  @Test
  void everyCaseThroughTheCommandLine() throws Exception {
    Path dir = cases();
    Path empty = Files.createFile(tmp.resolve("empty"));
    List<String> lines = Files.readAllLines(dir.resolve("cases.tsv"));
    for (String line : lines.subList(1, lines.size())) {
      String[] c = line.split("\t", -1);
      List<String> args = new ArrayList<>(List.of("measure", "snp", "--ovmf", dir.resolve(c[3]).toString(),
          "--vcpus", c[1], "--guest-features", c[7], "--vmm", c[8]));
      if (!c[2].equals("-")) {
        args.addAll(List.of("--vcpu-type", c[2]));
      }
      if (!c[4].equals("NONE")) {
        args.addAll(List.of("--kernel", empty.toString()));
      }
      if (!c[5].equals("NONE")) {
        args.addAll(List.of("--initrd", empty.toString()));
      }
      if (!c[6].equals("NONE")) {
        args.add("--append=" + c[6]);
      }
      if (!c[9].equals("-")) {
        args.addAll(List.of("--ovmf-hash", c[9]));
      }
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cl = RampartCli.commandLine();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args.toArray(String[]::new));
      if (c[10].startsWith("ERROR: ")) {
        assertThat(code).as(c[0]).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).as(c[0]).startsWith("rampart measure snp: " + c[10].substring(7));
        assertThat(out.toString()).isEmpty();
      } else {
        assertThat(code).as(c[0] + ": " + err).isZero();
        assertThat(out.toString()).as(c[0]).isEqualTo("measurement=" + c[10] + System.lineSeparator());
      }
    }
  }

  @Test
  void badArgumentsExit2NamingTheOption() {
    StringWriter err = new StringWriter();
    CommandLine cl = RampartCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    Path ovmf = cases().resolve("ovmf_AmdSev_suffix.bin");
    assertThat(cl.execute("measure", "snp", "--ovmf", ovmf.toString(), "--vcpus", "1", "--vmm", "xen"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(cl.execute("measure", "snp", "--ovmf", ovmf.toString(), "--vcpus", "1", "--ovmf-hash", "abc"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(cl.execute("measure", "snp", "--ovmf", tmp.resolve("missing").toString(), "--vcpus", "1"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--vmm: unknown VMM 'xen': use qemu, ec2 or gce")
        .contains("--ovmf-hash must be 96 hex digits").contains("cannot be read (NoSuchFileException)");
  }
}
