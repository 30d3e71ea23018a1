package dev.rampart.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The data scientist's commands, up to the point where they would connect: bad input exits 2 with one line
 * naming the flag, before anything is sent. (End-to-end runs against a coordinator live elsewhere.)
 */
class ScientistCommandsTest {
  private static final String ID_A = "3f2a9c01" + "0".repeat(56);

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir Path dir;
  private Path model;
  private Path missingPolicy;

  @BeforeEach
  void files() throws IOException {
    model = Files.writeString(dir.resolve("mlp.json"), "{\"confs\":[]}");
    missingPolicy = dir.resolve("no-policy.json");
  }

  private int run(String... args) {
    CommandLine cl = RampartCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  /** Valid local arguments get as far as reading the policy: proof that nothing else stopped them. */
  private void assertReachedTheConnection(int exit) {
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("no policy file at " + missingPolicy);
    assertThat(out.toString()).isEmpty();
  }

  private void assertUsage(int exit, String command, String... fragments) {
    assertThat(exit).isEqualTo(ExitCodes.USAGE);
    assertThat(out.toString()).isEmpty();
    String e = err.toString().strip();
    assertThat(e).startsWith("rampart " + command + ":").doesNotContain("\n");
    for (String f : fragments) {
      assertThat(e).contains(f);
    }
  }

  private String[] train(String... more) {
    String[] base = {"train", "--policy", missingPolicy.toString(), "--key", dir.toString(), "--model",
        model.toString(), "--datasets", ID_A};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void help_listsTheScientistsCommands() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("datasets", "train", "jobs", "job", "model", "evaluate");
  }

  @Test
  void train_withValidArguments_getsAsFarAsConnecting() {
    assertReachedTheConnection(run(train("--epochs", "3", "--target-epsilon", "2", "--optimizer", "adam",
        "--batch", "128", "--clip", "0.5", "--delta", "1e-6", "--lr", "0.01", "--seed", "7", "--metrics-every", "20",
        "--checkpoint-every", "10", "--watch")));
  }

  @Test
  void train_acceptsDatasetPrefixesOfEightHexDigits() {
    String[] args = train("--noise-multiplier", "1.1");
    args[8] = "3F2A9C01,77aa0000bb…";
    assertReachedTheConnection(run(args));
  }

  @Test
  void train_bothStepsAndEpochs_exits2() {
    assertUsage(run(train("--steps", "100", "--epochs", "2", "--noise-multiplier", "1")), "train",
        "--steps", "--epochs", "mutually exclusive");
  }

  @Test
  void train_bothNoiseMultiplierAndTargetEpsilon_exits2() {
    assertUsage(run(train("--noise-multiplier", "1", "--target-epsilon", "2")), "train", "--noise-multiplier",
        "--target-epsilon", "mutually exclusive");
  }

  @Test
  void train_withoutNoiseOrTargetEpsilon_exits2() {
    assertUsage(run(train()), "train", "--noise-multiplier", "--target-epsilon");
  }

  @Test
  void train_withoutModel_exits2() {
    assertUsage(run("train", "--datasets", ID_A, "--noise-multiplier", "1"), "train", "--model");
  }

  @Test
  void train_withoutDatasets_exits2() {
    assertUsage(run("train", "--model", model.toString(), "--noise-multiplier", "1"), "train", "--datasets");
  }

  @Test
  void train_missingModelFile_exits2NamingIt() {
    assertUsage(run("train", "--model", dir.resolve("nope.json").toString(), "--datasets", ID_A,
        "--noise-multiplier", "1"), "train", "--model", "nope.json");
  }

  @Test
  void train_modelThatIsNotJson_exits2() throws IOException {
    Files.write(model, new byte[] {'P', 'K', 3, 4});
    assertUsage(run(train("--noise-multiplier", "1")), "train", "--model", "JSON");
  }

  @Test
  void train_tooShortOrNonHexDatasetId_exits2() {
    String[] args = train("--noise-multiplier", "1");
    args[8] = "3f2a";
    assertUsage(run(args), "train", "--datasets '3f2a' is not a dataset id", "at least 8");
    err.getBuffer().setLength(0);
    args[8] = "hospital-a";
    assertUsage(run(args), "train", "'hospital-a' is not a dataset id");
  }

  @Test
  void train_moreThanSixteenDatasets_exits2() {
    String[] args = train("--noise-multiplier", "1");
    args[8] = String.join(",", java.util.Collections.nCopies(17, "3f2a9c01"));
    assertUsage(run(args), "train", "1 to 16 datasets, got 17");
  }

  @Test
  void train_nonPositiveNumbers_exit2NamingTheFlag() {
    assertUsage(run(train("--noise-multiplier", "0")), "train", "--noise-multiplier: ", "> 0, got 0.0");
    err.getBuffer().setLength(0);
    assertUsage(run(train("--noise-multiplier", "1", "--steps", "0")), "train", "--steps: ", "at least 1");
    err.getBuffer().setLength(0);
    assertUsage(run(train("--noise-multiplier", "1", "--batch", "-3")), "train", "--batch: ");
    err.getBuffer().setLength(0);
    assertUsage(run(train("--target-epsilon", "NaN")), "train", "--target-epsilon: ");
    err.getBuffer().setLength(0);
    assertUsage(run(train("--noise-multiplier", "1", "--delta", "2")), "train", "--delta: ");
  }

  @Test
  void train_unknownOptimizer_exits2() {
    assertUsage(run(train("--noise-multiplier", "1", "--optimizer", "rmsprop")), "train",
        "--optimizer: the optimizer is sgd or adam, got 'rmsprop'");
  }

  @Test
  void train_nonNumericValue_exits2() {
    assertUsage(run(train("--noise-multiplier", "lots")), "train", "--noise-multiplier", "lots");
  }

  @Test
  void jobWatch_shortId_exits2() {
    assertUsage(run("job", "watch", "abc"), "job watch", "too short", "at least 8");
  }

  @Test
  void jobWatch_badPollInterval_exits2() {
    assertUsage(run("job", "watch", "0123456789", "--poll", "0"), "job watch", "--poll");
  }

  @Test
  void jobWatch_validArguments_getAsFarAsConnecting() {
    assertReachedTheConnection(run("job", "watch", "0123456789", "--policy", missingPolicy.toString(), "--key",
        dir.toString()));
  }

  @Test
  void jobCancel_withoutId_exits2() {
    assertThat(run("job", "cancel")).isEqualTo(2);
    assertThat(err.toString()).contains("ID");
  }

  @Test
  void modelFetch_withoutOut_exits2() {
    assertUsage(run("model", "fetch", "0123456789"), "model fetch", "--out");
  }

  @Test
  void modelFetch_intoAMissingDirectory_exits2BeforeConnecting() {
    assertUsage(run("model", "fetch", "0123456789", "--out", dir.resolve("no/such/m.bin").toString()),
        "model fetch", "no directory");
  }

  @Test
  void modelFetch_ontoADirectory_exits2() {
    assertUsage(run("model", "fetch", "0123456789", "--out", dir.toString()), "model fetch", "is a directory");
  }

  @Test
  void modelFetch_validArguments_getAsFarAsConnecting() {
    assertReachedTheConnection(run("model", "fetch", "0123456789", "--out", dir.resolve("m.bin").toString(),
        "--policy", missingPolicy.toString(), "--key", dir.toString()));
    assertThat(dir.resolve("m.bin")).doesNotExist();
  }

  @Test
  void evaluate_withoutDataset_exits2() {
    assertUsage(run("evaluate", "0123456789"), "evaluate", "--dataset");
  }

  @Test
  void evaluate_nonPositiveEpsilon_exits2() {
    assertUsage(run("evaluate", "0123456789", "--dataset", ID_A, "--epsilon", "0"), "evaluate", "--epsilon");
  }

  @Test
  void evaluate_validArguments_getAsFarAsConnecting() {
    assertReachedTheConnection(run("evaluate", "0123456789", "--dataset", "3f2a9c01", "--policy",
        missingPolicy.toString(), "--key", dir.toString()));
  }

  @Test
  void datasets_and_jobs_getAsFarAsConnecting() {
    assertReachedTheConnection(run("datasets", "--full-ids", "--policy", missingPolicy.toString(), "--key",
        dir.toString()));
    err.getBuffer().setLength(0);
    assertReachedTheConnection(run("jobs", "--policy", missingPolicy.toString(), "--key", dir.toString()));
  }
}
