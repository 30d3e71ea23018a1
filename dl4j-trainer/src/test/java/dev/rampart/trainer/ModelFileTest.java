package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

class ModelFileTest {
  private static INDArray batch() {
    Nd4j.getRandom().setSeed(3);
    return Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 16, 784);
  }

  @Test
  void roundTrip_givesIdenticalOutputs_forMlpAndLenet() throws Exception {
    for (MultiLayerNetwork net : new MultiLayerNetwork[] {Models.mlp(784, 32, 10, new Sgd(0.1), 1),
        Models.lenet(28, 28, 10, new Adam(1e-3), 2)}) {
      net.params().addi(0.01); // not just what the seed would give again
      MultiLayerNetwork back = ModelFile.read(ModelFile.write(net));
      assertThat(back.params()).isEqualTo(net.params());
      assertThat(back.output(batch())).isEqualTo(net.output(batch()));
      assertThat(back.getLayerWiseConfigurations().toJson()).isEqualTo(net.getLayerWiseConfigurations().toJson());
    }
  }

  @Test
  void flippedByteTruncationAndWrongMagic_areRefused() {
    byte[] good = ModelFile.write(Models.mlp(784, 16, 10, new Sgd(0.1), 1));
    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    assertThatThrownBy(() -> ModelFile.read(flipped)).isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("the model file is corrupt: its SHA-256 does not match");
    assertThatThrownBy(() -> ModelFile.read(Arrays.copyOf(good, good.length - 1)))
        .hasMessageContaining("the model file is corrupt: it declares a");
    assertThatThrownBy(() -> ModelFile.read(Arrays.copyOf(good, 20))).hasMessageContaining("too short");
    byte[] magic = good.clone();
    magic[7] = '3';
    assertThatThrownBy(() -> ModelFile.read(magic)).hasMessageContaining("does not start with \"RAMPMDL2\"");
  }

  /** Files written before the framed format ({@code RAMPMDL1}: no body length) still read, to the same network. */
  @Test
  void aFirstVersionFile_stillReads() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Sgd(0.1), 1);
    byte[] now = ModelFile.write(net);
    assertThat(new String(now, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("RAMPMDL2");
    MultiLayerNetwork old = ModelFile.read(file(net.getLayerWiseConfigurations().toJson(), net.params().data().asFloat()));
    assertThat(old.params()).isEqualTo(ModelFile.read(now).params()).isEqualTo(net.params());
  }

  /** The digest is no defence against a deliberate writer: the allow-list and size checks still apply. */
  @Test
  void aWellFormedFile_withAForeignClassOrWrongCount_isRefused() throws Exception {
    MultiLayerNetwork net = Models.mlp(784, 16, 10, new Sgd(0.1), 1);
    String json = net.getLayerWiseConfigurations().toJson();
    float[] params = net.params().data().asFloat();
    assertThatThrownBy(() -> ModelFile.read(file(json.replaceFirst("org.deeplearning4j.nn.conf.layers.DenseLayer",
        "java.net.URL"), params))).hasMessageContaining("\"java.net.URL\"");
    assertThatThrownBy(() -> ModelFile.read(file(json, Arrays.copyOf(params, params.length - 1))))
        .hasMessageContaining("its configuration has " + params.length + " parameters but the file holds "
            + (params.length - 1));
    // a configuration claiming a huge network with few parameters is refused before anything is allocated
    String huge = json.replaceFirst("\"nout\" : 16", "\"nout\" : 65536").replaceFirst("\"nin\" : 16", "\"nin\" : 65536");
    assertThatThrownBy(() -> ModelFile.read(file(huge, params))).hasMessageContaining("more than 50000000 parameters");
  }

  private static byte[] file(String json, float[] params) throws Exception {
    byte[] j = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + 4 + j.length + 8 + 4 * params.length + 32);
    b.put("RAMPMDL1".getBytes(StandardCharsets.US_ASCII)).putInt(j.length).put(j).putLong(params.length);
    for (float p : params) {
      b.putFloat(p);
    }
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    d.update(b.array(), 0, b.position());
    b.put(d.digest());
    return b.array();
  }
}
