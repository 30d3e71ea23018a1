package dev.rampart.benchmarks;

import com.google.protobuf.ByteString;
import dev.rampart.attestation.AttestationPolicy;
import dev.rampart.attestation.simulated.SimulatedTee;
import dev.rampart.coordinator.Coordinator;
import dev.rampart.coordinator.CoordinatorConfig;
import dev.rampart.protocol.Api;
import dev.rampart.protocol.AttestedChannel;
import dev.rampart.protocol.KeyIdentity;
import dev.rampart.protocol.v1.EnrollRequest;
import dev.rampart.protocol.v1.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A coordinator in this process (simulated TEE, state under {@code dir}) with its boot admin and a policy that pins
 * it, for benchmarks that drive it over its real socket.
 */
final class LocalCoordinator implements AutoCloseable {
  final Coordinator coordinator;
  final AttestedChannel.Target target;
  final KeyIdentity admin;

  private LocalCoordinator(Coordinator coordinator, AttestedChannel.Target target, KeyIdentity admin) {
    this.coordinator = coordinator;
    this.target = target;
    this.admin = admin;
  }

  static LocalCoordinator start(Path dir, String label) throws Exception {
    byte[] measurement = MessageDigest.getInstance("SHA-384").digest(label.getBytes(StandardCharsets.UTF_8));
    KeyIdentity admin = KeyIdentity.generate("admin");
    admin.save(dir.resolve("admin"));
    Coordinator c = Coordinator.start(CoordinatorConfig.builder(dir.resolve("state"), measurement)
        .adminCertificate(dir.resolve("admin/cert.pem")).build());
    try {
      AttestationPolicy policy = AttestationPolicy.parse(SimulatedTee.loadOrCreate(dir.resolve("state/simulated-tee"))
          .policyJson(measurement).getBytes(StandardCharsets.UTF_8));
      return new LocalCoordinator(c, new AttestedChannel.Target("127.0.0.1", c.port(), policy), admin);
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** Enrols each key under its certificate's name with {@code role}, in one admin session. */
  void enrol(Role role, KeyIdentity... keys) throws Exception {
    try (AttestedChannel s = AttestedChannel.open(null, target, admin, Clock.systemUTC(), Duration.ofSeconds(60))) {
      for (KeyIdentity k : keys) {
        s.call(Api.ENROLL, EnrollRequest.newBuilder().setRole(role).setName(k.name())
            .setCertificateDer(ByteString.copyFrom(k.certificate().getEncoded())).build());
      }
    }
  }

  @Override
  public void close() {
    coordinator.close();
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
