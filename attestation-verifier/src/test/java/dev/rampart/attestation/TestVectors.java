package dev.rampart.attestation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The public evidence samples in {@code ../shared/testvectors/attestation} beside the project's root. */
final class TestVectors {
  private static final Path ROOT = locate();

  private TestVectors() {}

  private static Path locate() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared/testvectors/attestation");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      Path sibling = p.resolveSibling("shared/testvectors/attestation");
      if (Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException("../shared/testvectors/attestation not found beside the project root");
  }

  static byte[] read(String relative) {
    try {
      return Files.readAllBytes(ROOT.resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
