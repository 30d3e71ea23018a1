package dev.rampart.trainer;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained model as a data scientist downloads it: the configuration and the weights, without Java
 * serialisation. Format (big-endian):
 *
 * <pre>
 *   "RAMPMDL1"                      8 bytes, ASCII
 *   uint32 n, n bytes               the configuration: MultiLayerConfiguration.toJson(), UTF-8
 *   int64 m, m × float32            the parameters, in DL4J's flattened order (net.params())
 *   32 bytes                        SHA-256 of everything before
 * </pre>
 *
 * Reading it back parses the configuration through {@link ModelConfigs#parse}, with the same allow-list as a
 * model arriving for training, so a file can name no other classes. The digest detects truncation and accidental
 * or naive alteration; whoever needs to know who wrote the file verifies a signature over it (or receives it over
 * an attested channel). No optimizer state is stored: this is a model, not a checkpoint.
 */
public final class ModelFile {
  private static final byte[] MAGIC = "RAMPMDL1".getBytes(StandardCharsets.US_ASCII);
  private static final int DIGEST_BYTES = 32;

  private ModelFile() {}

  /** The model file of {@code net}: its configuration JSON, its parameters as float32, and the SHA-256. */
  public static byte[] write(MultiLayerNetwork net) {
    byte[] json = net.getLayerWiseConfigurations().toJson().getBytes(StandardCharsets.UTF_8);
    float[] params = net.params().castTo(DataType.FLOAT).toFloatVector(); // a copy, whatever the view
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(MAGIC.length + 4 + json.length + 8
          + 4 * params.length + DIGEST_BYTES);
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(json.length);
      out.write(json);
      out.writeLong(params.length);
      ByteBuffer b = ByteBuffer.allocate(4 * params.length).order(ByteOrder.BIG_ENDIAN);
      b.asFloatBuffer().put(params);
      out.write(b.array());
      out.flush();
      out.write(sha256(bytes.toByteArray(), bytes.size()));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
  }

  /**
   * Reads a model file back into an initialised network ({@code new MultiLayerNetwork(conf).init()}, then its
   * parameters). Corruption (wrong magic, a digest that does not match, truncation, trailing bytes, a parameter
   * count that does not fit the configuration) and a configuration the allow-list refuses are all reported as
   * {@link ModelValidationException}, the first kind with a message starting "the model file is corrupt".
   *
   * @throws ModelValidationException saying what is wrong
   */
  public static MultiLayerNetwork read(byte[] bytes) throws ModelValidationException {
    if (bytes == null || bytes.length < MAGIC.length + 4 + 8 + DIGEST_BYTES) {
      throw new ModelValidationException("the model file is corrupt: " + (bytes == null ? 0 : bytes.length)
          + " bytes is too short to be a Rampart model file; download it again");
    }
    if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new ModelValidationException("the model file is corrupt: it does not start with \"RAMPMDL1\" (not a"
          + " Rampart model file, or another version)");
    }
    int bodyLength = bytes.length - DIGEST_BYTES;
    if (!MessageDigest.isEqual(sha256(bytes, bodyLength), Arrays.copyOfRange(bytes, bodyLength, bytes.length))) {
      throw new ModelValidationException("the model file is corrupt: its SHA-256 does not match (truncated or"
          + " altered); download it again");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, bodyLength).order(ByteOrder.BIG_ENDIAN);
    in.position(MAGIC.length);
    String json;
    float[] params;
    try {
      int jsonLength = in.getInt();
      if (jsonLength < 0 || jsonLength > ModelConfigs.MAX_JSON_BYTES || jsonLength > in.remaining()) {
        throw new ModelValidationException("the model file is corrupt: its configuration claims " + jsonLength
            + " bytes (at most " + ModelConfigs.MAX_JSON_BYTES + " and what the file holds)");
      }
      byte[] jsonBytes = new byte[jsonLength];
      in.get(jsonBytes);
      try {
        json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(jsonBytes)).toString();
      } catch (CharacterCodingException e) {
        throw new ModelValidationException("the model file is corrupt: its configuration is not UTF-8");
      }
      long count = in.getLong();
      if (count < 0 || count > GhostClipping.MAX_PARAMETERS || count * 4 != in.remaining()) {
        throw new ModelValidationException("the model file is corrupt: it claims " + count + " parameters but holds "
            + in.remaining() + " bytes for them (at most " + GhostClipping.MAX_PARAMETERS + " parameters)");
      }
      params = new float[(int) count];
      in.asFloatBuffer().get(params);
    } catch (BufferUnderflowException e) {
      throw new ModelValidationException("the model file is corrupt: it is truncated");
    }
    MultiLayerConfiguration conf = ModelConfigs.parse(json);
    // sized from the configuration before anything is allocated: a file cannot make us build a huge network
    long expected = ModelConfigs.checkStructure(conf, 0, 0);
    if (expected != params.length) {
      throw new ModelValidationException("the model file is corrupt: its configuration has " + expected
          + " parameters but the file holds " + params.length);
    }
    MultiLayerNetwork net = ModelConfigs.initialise(conf);
    INDArray p = net.params();
    if (p.length() != params.length) {
      throw new ModelValidationException("the model file's network has " + p.length() + " parameters, the file "
          + params.length);
    }
    p.assign(Nd4j.createFromArray(params).reshape(p.shape()).castTo(p.dataType()));
    return net;
  }

  private static byte[] sha256(byte[] data, int length) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(data, 0, length);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
