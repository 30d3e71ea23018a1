package dev.rampart.cli;

import com.google.protobuf.ByteString;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.ListPrincipalsRequest;
import dev.rampart.protocol.v1.Principal;
import dev.rampart.protocol.v1.RevokeRequest;
import dev.rampart.protocol.v1.Role;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rampart admin …}: enrolment, with the admin's key over an attested session. */
@Command(name = "admin", description = "Enrol and revoke principals (needs the admin key).",
    subcommands = {AdminCommand.Enroll.class, AdminCommand.Revoke.class, AdminCommand.Principals.class})
final class AdminCommand {
  static void print(PrintWriter out, Principal p) {
    out.println("name=" + p.getName() + " role=" + p.getRole().name().toLowerCase() + " fingerprint="
        + p.getFingerprint() + (p.getRevoked() ? " revoked" : ""));
  }

  static int failed(CommandSpec spec, RpcException e) {
    spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
    return ExitCodes.of(e);
  }

  @Command(name = "enroll", mixinStandardHelpOptions = true, description = "Enrols a principal's certificate.")
  static final class Enroll implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConnectionOptions connection;

    @Option(names = "--role", required = true, paramLabel = "owner|scientist|admin") String role;
    @Option(names = "--name", required = true, paramLabel = "NAME") String name;
    @Option(names = "--cert", required = true, paramLabel = "FILE", description = "The principal's cert.pem.") Path cert;

    @Override
    public Integer call() {
      Role r = switch (role.toLowerCase()) {
        case "owner" -> Role.OWNER;
        case "scientist" -> Role.SCIENTIST;
        case "admin" -> Role.ADMIN;
        default -> throw Arguments.bad(spec, "--role must be owner, scientist or admin, got '" + role + "'");
      };
      byte[] der;
      try {
        der = KeyIdentity.parseCertificatePem(Files.readString(cert), cert).getEncoded();
      } catch (IOException | java.security.cert.CertificateEncodingException e) {
        throw Arguments.bad(spec, "--cert " + cert + ": " + e.getMessage());
      }
      try (AttestedChannel c = connection.open(spec)) {
        print(spec.commandLine().getOut(), c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(r).setName(name)
            .setCertificateDer(ByteString.copyFrom(der)).build()));
        return ExitCodes.SUCCESS;
      } catch (RpcException e) {
        return failed(spec, e);
      }
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes a principal (by name or fingerprint).")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConnectionOptions connection;

    @ArgGroup(multiplicity = "1") Who who;

    static final class Who {
      @Option(names = "--name", paramLabel = "NAME") String name;
      @Option(names = "--fingerprint", paramLabel = "HEX") String fingerprint;
    }

    @Override
    public Integer call() {
      try (AttestedChannel c = connection.open(spec)) {
        RevokeRequest.Builder b = RevokeRequest.newBuilder();
        if (who.name != null) {
          b.setName(who.name);
        } else {
          b.setFingerprint(who.fingerprint);
        }
        print(spec.commandLine().getOut(), c.call(Api.REVOKE, b.build()));
        return ExitCodes.SUCCESS;
      } catch (RpcException e) {
        return failed(spec, e);
      }
    }
  }

  @Command(name = "principals", mixinStandardHelpOptions = true, description = "Lists enrolled principals.")
  static final class Principals implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConnectionOptions connection;

    @Override
    public Integer call() {
      try (AttestedChannel c = connection.open(spec)) {
        for (Principal p : c.call(Api.LIST_PRINCIPALS, ListPrincipalsRequest.getDefaultInstance()).getPrincipalsList()) {
          print(spec.commandLine().getOut(), p);
        }
        return ExitCodes.SUCCESS;
      } catch (RpcException e) {
        return failed(spec, e);
      }
    }
  }
}
