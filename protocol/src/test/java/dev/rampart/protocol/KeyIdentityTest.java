package dev.rampart.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyIdentityTest {
  @TempDir Path dir;

  /** Issue 12, item 8: a key.pem others can read was accepted silently. It still loads, with a warning saying so. */
  @Test
  void aPrivateKeyOthersCanRead_loadsWithAWarningNamingTheFix() throws Exception {
    KeyIdentity k = KeyIdentity.generate("alice");
    k.save(dir.resolve("alice"));
    Path key = dir.resolve("alice").resolve(KeyIdentity.KEY_FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    List<String> warnings = new ArrayList<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        warnings.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger log = Logger.getLogger(KeyIdentity.class.getName());
    log.addHandler(h);
    try {
      KeyIdentity.load(dir.resolve("alice"));
      assertThat(warnings).isEmpty();
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
      KeyIdentity loaded = KeyIdentity.load(dir.resolve("alice"));
      assertThat(loaded.fingerprint()).isEqualTo(k.fingerprint());
      assertThat(warnings).singleElement().asString().contains("can be read or written by other users")
          .contains("rw-r--r--").contains("chmod 600 " + key);
    } finally {
      log.removeHandler(h);
    }
  }
}
