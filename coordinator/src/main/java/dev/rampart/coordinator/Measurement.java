package dev.rampart.coordinator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The coordinator's measurement in simulation: SHA-384 over its runnable artifact, i.e. the launcher jar and
 * every jar its manifest's {@code Class-Path} names, as the lines {@code rampart-measurement/v1}, then per jar
 * (in Class-Path order, the launcher first) its path relative to the launcher's directory and its SHA-384 in hex.
 * The build is reproducible ({@code project.build.outputTimestamp}), so anyone who rebuilds the same commit gets the
 * same value; on SNP/TDX the launch measurement of the image that contains this artifact takes its place.
 */
public final class Measurement {
  private Measurement() {}

  /** Measures the launcher jar at {@code jar} and its class path. */
  public static byte[] ofArtifact(Path jar) throws IOException {
    if (!Files.isRegularFile(jar) || !jar.toString().endsWith(".jar")) {
      throw new IOException(jar + " is not a jar: measure the packaged CLI (cli/target/rampart.jar; run ./rampart"
          + " to build it), not a classes directory");
    }
    List<String> entries = new ArrayList<>();
    entries.add(jar.getFileName().toString());
    try (JarFile j = new JarFile(jar.toFile())) {
      Manifest m = j.getManifest();
      String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
      if (cp != null) {
        for (String e : cp.trim().split("\\s+")) {
          if (!e.isEmpty()) {
            entries.add(e);
          }
        }
      }
    }
    MessageDigest total = sha384();
    total.update("rampart-measurement/v1\n".getBytes(StandardCharsets.US_ASCII));
    Path base = jar.toAbsolutePath().getParent();
    for (String e : entries) {
      Path file = base.resolve(e);
      if (!Files.isRegularFile(file)) {
        throw new IOException("the class path names " + e + " but " + file + " is missing: the artifact is"
            + " incomplete; rebuild it");
      }
      total.update((e + "\n" + HexFormat.of().formatHex(digest(file)) + "\n").getBytes(StandardCharsets.US_ASCII));
    }
    return total.digest();
  }

  /** Measures the jar this class was loaded from (the running CLI), or fails when run from classes. */
  public static byte[] ofRunningArtifact(Class<?> launcher) throws IOException {
    try {
      Path p = Path.of(launcher.getProtectionDomain().getCodeSource().getLocation().toURI());
      return ofArtifact(p);
    } catch (java.net.URISyntaxException | SecurityException | NullPointerException e) {
      throw new IOException("cannot locate the running artifact to measure it", e);
    }
  }

  private static byte[] digest(Path file) throws IOException {
    MessageDigest d = sha384();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
    }
    return d.digest();
  }

  private static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
