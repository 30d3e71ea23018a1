package dev.rampart.trainer;

import dev.rampart.common.FramedFile;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained model as a data scientist downloads it: the configuration and the weights, without Java
 * serialisation. A {@link FramedFile} of magic {@code "RAMPMDL2"} whose body is (big-endian):
 *
 * <pre>
 *   uint32 n, n bytes               the configuration: MultiLayerConfiguration.toJson(), UTF-8
 *   int64 m, m × float32            the parameters, in DL4J's flattened order (net.params())
 * </pre>
 *
 * Files of the first version ({@code "RAMPMDL1"}, the same body without the framed file's length) are still read.
 *
 * Reading it back parses the configuration through {@link ModelConfigs#parse}, with the same allow-list as a
 * model arriving for training, so a file can name no other classes. The digest detects truncation and accidental
 * or naive alteration; whoever needs to know who wrote the file verifies a signature over it (or receives it over
 * an attested channel). No optimizer state is stored: this is a model, not a checkpoint.
 */
public final class ModelFile {
  static final String MAGIC = "RAMPMDL2";
  private static final String FIRST_MAGIC = "RAMPMDL1";

  private ModelFile() {}

  /** The model file of {@code net}: its configuration JSON, its parameters as float32, and the SHA-256. */
  public static byte[] write(MultiLayerNetwork net) {
    byte[] json = net.getLayerWiseConfigurations().toJson().getBytes(StandardCharsets.UTF_8);
    float[] params = net.params().castTo(DataType.FLOAT).toFloatVector(); // a copy, whatever the view
    ByteBuffer body = ByteBuffer.allocate(4 + json.length + 8 + 4 * params.length).order(ByteOrder.BIG_ENDIAN);
    body.putInt(json.length).put(json).putLong(params.length);
    body.asFloatBuffer().put(params);
    return FramedFile.frame(MAGIC, body.array());
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
    ByteBuffer in;
    try {
      in = bytes != null && !FramedFile.hasMagic(bytes, MAGIC) && FramedFile.hasMagic(bytes, FIRST_MAGIC)
          ? FramedFile.openLegacy(bytes, FIRST_MAGIC) : FramedFile.open(bytes, MAGIC);
    } catch (FramedFile.FormatException e) {
      throw new ModelValidationException("the model file is corrupt: " + e.getMessage() + "; download it again");
    }
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
      if (count < 0 || count > ModelValidator.MAX_PARAMETERS || count * 4 != in.remaining()) {
        throw new ModelValidationException("the model file is corrupt: it claims " + count + " parameters but holds "
            + in.remaining() + " bytes for them (at most " + ModelValidator.MAX_PARAMETERS + " parameters)");
      }
      params = new float[(int) count];
      in.asFloatBuffer().get(params);
    } catch (BufferUnderflowException e) {
      throw new ModelValidationException("the model file is corrupt: it is truncated");
    }
    MultiLayerConfiguration conf = ModelConfigs.parse(json);
    // sized from the configuration before anything is allocated: a file cannot make us build a huge network
    long expected = ModelValidator.requireValid(conf, 0, 0);
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
}
