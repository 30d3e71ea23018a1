package dev.rampart.cli;

import dev.rampart.agent.PartyAgent;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Where the coordinator is, what it must attest to, and who is calling; defaults from RAMPART_* variables. */
final class ConnectionOptions {
  @Option(names = "--coordinator", paramLabel = "HOST:PORT", defaultValue = "${env:RAMPART_COORDINATOR:-127.0.0.1:7443}",
      description = "The coordinator (default \\$RAMPART_COORDINATOR or ${DEFAULT-VALUE}).")
  String coordinator;

  @Option(names = "--policy", paramLabel = "FILE", defaultValue = "${env:RAMPART_POLICY}",
      description = "The policy (reference values) the coordinator's attestation must satisfy (default \\$RAMPART_POLICY).")
  Path policy;

  @Option(names = "--key", paramLabel = "DIR", defaultValue = "${env:RAMPART_KEY}",
      description = "Your key directory from 'rampart keys new' (default \\$RAMPART_KEY).")
  Path key;

  AttestedChannel open(CommandSpec spec) throws RpcException {
    if (policy == null) {
      throw Arguments.bad(spec, "--policy FILE is required: the reference values the coordinator must attest to");
    }
    if (key == null) {
      throw Arguments.bad(spec, "--key DIR is required: your identity (rampart keys new --out DIR --name NAME)");
    }
    AttestationPolicy p;
    KeyIdentity id;
    AttestedChannel.Target target;
    try {
      p = PartyAgent.readPolicy(policy);
      id = KeyIdentity.load(key);
      target = AttestedChannel.Target.parse(coordinator, p);
    } catch (IOException | IllegalArgumentException e) {
      throw Arguments.bad(spec, e.getMessage());
    }
    AttestedChannel c = AttestedChannel.open(null, target, id, Clock.systemUTC(), Duration.ofSeconds(60));
    if (c.attestation().insecure()) {
      spec.commandLine().getErr().println("warning: the coordinator runs in a SIMULATED TEE (the policy allows it):"
          + " nothing protects the data");
    }
    return c;
  }
}
