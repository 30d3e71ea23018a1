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
 * (docs/coordinator.md, "sealing keys"): the key never touches the host's disk. On SEV-SNP both keysets are derived
 * ({@link #fromSecret}) from the firmware's derived key, which mixes in the launch measurement and policy
 * ({@code dev.rampart.coordinator.tee.SnpDerivedKey}); TDX has no sealing key, so {@code --tee tdx} takes the key
 * file from {@code --sealing-key FILE} (a tmpfs that a key broker fills after verifying this coordinator's evidence),
 * as SEV-SNP may too, and refuses to create one on disk.
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

  /**
   * Keysets derived from a 32-byte platform secret: HKDF-SHA256 (RFC 5869) of the secret, one output per keyset
   * ({@code info} names it and the derivation's version), imported as raw AES-256-GCM and AES-256-GCM-HKDF (1 MiB
   * segments) keys. The same secret always gives the same keys, so a restarted coordinator reads its state; the
   * secret itself is not kept.
   */
  public static SealingKeys fromSecret(byte[] secret) throws IOException {
    if (secret == null || secret.length != 32) {
      throw new IOException("a platform sealing secret is 32 bytes");
    }
    byte[] aeadKey = null;
    byte[] streamingKey = null;
    try {
      byte[] salt = "rampart-sealing-keys".getBytes(StandardCharsets.US_ASCII);
      aeadKey = com.google.crypto.tink.subtle.Hkdf.computeHkdf("HMACSHA256", secret, salt,
          "rampart-sealing/v1|aead".getBytes(StandardCharsets.US_ASCII), 32);
      streamingKey = com.google.crypto.tink.subtle.Hkdf.computeHkdf("HMACSHA256", secret, salt,
          "rampart-sealing/v1|streaming-aead".getBytes(StandardCharsets.US_ASCII), 32);
      com.google.crypto.tink.aead.AesGcmKey a = com.google.crypto.tink.aead.AesGcmKey.builder()
          .setParameters(com.google.crypto.tink.aead.AesGcmParameters.builder().setKeySizeBytes(32)
              .setIvSizeBytes(12).setTagSizeBytes(16)
              .setVariant(com.google.crypto.tink.aead.AesGcmParameters.Variant.NO_PREFIX).build())
          .setKeyBytes(com.google.crypto.tink.util.SecretBytes.copyFrom(aeadKey, InsecureSecretKeyAccess.get()))
          .build();
      com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingKey st =
          com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingKey.create(
              new com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingParameters.Builder().setKeySizeBytes(32)
                  .setDerivedAesGcmKeySizeBytes(32)
                  .setHkdfHashType(com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingParameters.HashType.SHA256)
                  .setCiphertextSegmentSizeBytes(1 << 20).build(),
              com.google.crypto.tink.util.SecretBytes.copyFrom(streamingKey, InsecureSecretKeyAccess.get()));
      KeysetHandle ah = KeysetHandle.newBuilder().addEntry(KeysetHandle.importKey(a).withFixedId(1).makePrimary())
          .build();
      KeysetHandle sh = KeysetHandle.newBuilder().addEntry(KeysetHandle.importKey(st).withFixedId(1).makePrimary())
          .build();
      return new SealingKeys(ah.getPrimitive(RegistryConfiguration.get(), Aead.class),
          sh.getPrimitive(RegistryConfiguration.get(), StreamingAead.class));
    } catch (GeneralSecurityException e) {
      throw new IOException("the sealing keys cannot be derived (" + e.getClass().getSimpleName() + ")");
    } finally {
      if (aeadKey != null) {
        java.util.Arrays.fill(aeadKey, (byte) 0);
      }
      if (streamingKey != null) {
        java.util.Arrays.fill(streamingKey, (byte) 0);
      }
    }
  }

  public Aead aead() {
    return aead;
  }

  public StreamingAead streaming() {
    return streaming;
  }
}
