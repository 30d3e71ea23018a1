package dev.rampart.cli;

import dev.rampart.protocol.KeyIdentity;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart keys new}: a principal's key pair and certificate. */
@Command(name = "keys", description = "Principals' keys.", subcommands = {KeysCommand.New.class})
final class KeysCommand {
  @Command(name = "new", mixinStandardHelpOptions = true, description = {
      "Makes an ECDSA P-256 key (DIR/key.pem, mode 0600) and a self-signed certificate (DIR/cert.pem).",
      "Prints the identity (SHA-256 of the public key); give cert.pem to the admin to be enrolled."})
  static final class New implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;

    @Option(names = "--name", required = true, paramLabel = "NAME",
        description = "1-64 of a-z 0-9 . _ - (e.g. hospital-a, alice)") String name;

    @Override
    public Integer call() throws Exception {
      if (!KeyIdentity.validName(name)) {
        throw Arguments.bad(spec, "--name must be 1-64 of a-z 0-9 . _ - starting with a letter or digit, got '"
            + name + "'");
      }
      KeyIdentity id = KeyIdentity.generate(name);
      try {
        id.save(out);
      } catch (FileAlreadyExistsException e) {
        throw Arguments.bad(spec, "--out " + out + " already holds a key; choose another directory");
      }
      spec.commandLine().getOut().println("name=" + name + " fingerprint=" + id.fingerprint() + " cert="
          + out.resolve(KeyIdentity.CERT_FILE));
      return ExitCodes.SUCCESS;
    }
  }
}
