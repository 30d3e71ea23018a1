package dev.rampart.coordinator.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * The keys everything at rest is sealed with: an AEAD (AES-256-GCM) for small records (upload chunks, journal
 * records) and a streaming AEAD (AES-256-GCM-HKDF, 1 MiB segments) for datasets, models and checkpoints.
 *
 * <p><b>Simulated TEE:</b> both keysets live in one key file in the state directory, created at first boot with
 * mode 0600, named {@code INSECURE-sealing-keys.json}: whoever reads the disk reads the data. <b>Real TEEs</b>
 * (docs/coordinator.md, "sealing keys"): the key must never touch the host's disk; the plan is an SNP
 * {@code MSG_KEY_REQ} derived key bound to the measurement, or for TDX (which has no sealing key) a key released by
 * a key broker after it verifies this coordinator's evidence. Until then {@code --tee sev-snp|tdx} takes the key
 * file from {@code --sealing-key FILE} (a tmpfs the key broker fills) and refuses to create one on disk.
 */
public final class SealingKeys {
  public static final String FILE_NAME = "INSECURE-sealing-keys.json";
  private static final ObjectMapper JSON = dev.rampart.common.StrictJson.MAPPER;

  static {
    try {
      AeadConfig.register();
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Aead aead;
  private final StreamingAead streaming;

  private SealingKeys(Aead aead, StreamingAead streaming) {
    this.aead = aead;
    this.streaming = streaming;
  }

  /** Loads the key file, or creates it (mode 0600) when {@code create} and it does not exist. */
  public static SealingKeys loadOrCreate(Path file, boolean create) throws IOException {
    try {
      if (!Files.exists(file)) {
        if (!create) {
          throw new IOException("no sealing key at " + file + " (for a real TEE the key broker must provide it)");
        }
        KeysetHandle a = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
        KeysetHandle s = KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB);
        ObjectNode root = JSON.createObjectNode();
        root.put("warning", "INSECURE: sealing keys of a coordinator in a SIMULATED TEE, in the clear on disk."
            + " Anyone who can read this file can read every sealed dataset, model and journal entry.");
        root.set("aead", JSON.readTree(TinkJsonProtoKeysetFormat.serializeKeyset(a, InsecureSecretKeyAccess.get())));
        root.set("streamingAead",
            JSON.readTree(TinkJsonProtoKeysetFormat.serializeKeyset(s, InsecureSecretKeyAccess.get())));
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        // mode 0600 from its creation, forced before the rename, and the directory after: a power cut must not
        // leave a journal sealed under a key that never reached the disk
        dev.rampart.common.AtomicFiles.write(file, true, out -> out.write(json));
      }
      JsonNode root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (root == null || !root.hasNonNull("aead") || !root.hasNonNull("streamingAead")) {
        throw new IOException(file + " is not a Rampart sealing key file (needs 'aead' and 'streamingAead')");
      }
      KeysetHandle a = TinkJsonProtoKeysetFormat.parseKeyset(root.get("aead").toString(), InsecureSecretKeyAccess.get());
      KeysetHandle s = TinkJsonProtoKeysetFormat.parseKeyset(root.get("streamingAead").toString(),
          InsecureSecretKeyAccess.get());
      return new SealingKeys(a.getPrimitive(RegistryConfiguration.get(), Aead.class),
          s.getPrimitive(RegistryConfiguration.get(), StreamingAead.class));
    } catch (GeneralSecurityException e) {
      // never the key material in the message
      throw new IOException("the sealing key file " + file + " is unusable (" + e.getClass().getSimpleName() + ")");
    }
  }

  public Aead aead() {
    return aead;
  }

  public StreamingAead streaming() {
    return streaming;
  }
}
