package dev.rampart.coordinator;

/**
 * The child JVM's entry for {@link CoordinatorProcess} (tests only, not shipped): {@code STATE_DIR PORT
 * MEASUREMENT_HEX [ADMIN_CERT]}, simulated TEE on 127.0.0.1; port 0 binds a free one, reported on the
 * {@code listening=} line.
 */
public final class CoordinatorChild {
  private CoordinatorChild() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: CoordinatorChild STATE_DIR PORT MEASUREMENT_HEX [ADMIN_CERT]");
      System.exit(2);
    }
    CoordinatorConfig.Builder b = CoordinatorConfig.builder(java.nio.file.Path.of(args[0]),
        java.util.HexFormat.of().parseHex(args[2])).listen("127.0.0.1", Integer.parseInt(args[1]));
    if (args.length > 3) {
      b.adminCertificate(java.nio.file.Path.of(args[3]));
    }
    CoordinatorMain.runUntilStopped(b.build(), System.out);
  }
}
