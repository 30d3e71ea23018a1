package dev.rampart.agent;

import com.google.protobuf.ByteString;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.RpcException;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;

/** A real coordinator (simulated TEE) in a temporary state directory, its admin, and policies that pin it. */
class Fixture implements AutoCloseable {
  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  final Path dir;
  final Path state;
  final byte[] measurement;
  final KeyIdentity admin;
  Coordinator coordinator;

  /** Policies for a coordinator running elsewhere (another process) on {@code state}. */
  static final class PolicyOnly extends Fixture {
    PolicyOnly(Path dir, Path state) {
      super(dir, state);
    }
  }

  private Fixture(Path dir, Path state) {
    this.dir = dir;
    this.state = state;
    this.measurement = null;
    this.admin = null;
  }

  Fixture(Path dir) throws Exception {
    this(dir, sha384("rampart test coordinator"), false);
  }

  Fixture(Path dir, byte[] measurement, boolean debug) throws Exception {
    this.dir = dir;
    this.state = dir.resolve("state");
    this.measurement = measurement;
    this.admin = KeyIdentity.generate("admin");
    admin.save(dir.resolve("keys/admin"));
    start(0, debug);
  }

  void start(int port, boolean debug) throws IOException {
    CoordinatorConfig.Builder b = CoordinatorConfig.builder(state, measurement).listen("127.0.0.1", port)
        .adminCertificate(dir.resolve("keys/admin/cert.pem"));
    if (debug) {
      // the state directory's simulated TEE, reporting a debuggable guest: what callers must refuse
      dev.rampart.attestation.simulated.SimulatedTee tee = dev.rampart.attestation.simulated.SimulatedTee
          .loadOrCreate(state.resolve("simulated-tee"));
      byte[] m = measurement.clone();
      b.simulatedAttester(new dev.rampart.coordinator.tee.Attester() {
        @Override
        public String platform() {
          return "simulated";
        }

        @Override
        public dev.rampart.coordinator.tee.AttestationBundle attest(byte[] reportData) {
          return new dev.rampart.coordinator.tee.AttestationBundle("simulated", tee.report(reportData, m, true),
              tee.endorsementKeyPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
              tee.chainPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII), null);
        }
      });
    }
    coordinator = Coordinator.start(b.build());
  }

  void restart() throws IOException {
    int port = coordinator.port();
    coordinator.close();
    start(port, false);
  }

  static byte[] sha384(String s) throws Exception {
    return MessageDigest.getInstance("SHA-384").digest(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The policy an owner writes: this coordinator's simulated root and the given measurement. */
  AttestationPolicy policy(byte[] expectedMeasurement) throws Exception {
    return AttestationPolicy.parse(dev.rampart.attestation.simulated.SimulatedTee
        .loadOrCreate(state.resolve("simulated-tee")).policyJson(expectedMeasurement).getBytes(StandardCharsets.UTF_8));
  }

  AttestationPolicy policy() throws Exception {
    return policy(measurement);
  }

  AttestedChannel.Target target(int port) throws Exception {
    return new AttestedChannel.Target("127.0.0.1", port, policy());
  }

  AttestedChannel session(KeyIdentity who) throws Exception {
    return AttestedChannel.open(null, target(coordinator.port()), who, Clock.systemUTC(), Duration.ofSeconds(30));
  }

  /** A new key, enrolled by the admin. */
  KeyIdentity enrol(String name, Role role) throws Exception {
    KeyIdentity id = KeyIdentity.generate(name);
    try (AttestedChannel c = session(admin)) {
      c.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(role).setName(name)
          .setCertificateDer(ByteString.copyFrom(id.certificate().getEncoded())).build());
    } catch (RpcException e) {
      throw new IllegalStateException(e);
    }
    return id;
  }

  PartyAgent agent(KeyIdentity owner) throws Exception {
    return new PartyAgent(target(coordinator.port()), owner, Clock.systemUTC(), Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    if (coordinator != null) {
      coordinator.close();
    }
  }
}
