package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.Distribution;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.distribution.TruncatedNormalDistribution;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

class ModelConfigsTest {
  private static final String DENSE = "org.deeplearning4j.nn.conf.layers.DenseLayer";

  private static String mlpJson() {
    return Models.mlp(784, 32, 10, new Sgd(0.1), 1).getLayerWiseConfigurations().toJson();
  }

  private static String lenetJson() {
    return Models.lenet(28, 28, 10, new Adam(1e-3), 1).getLayerWiseConfigurations().toJson();
  }

  @Test
  void mlpAndLenetJson_roundTrip_andBuild() throws Exception {
    for (String json : new String[] {mlpJson(), lenetJson()}) {
      MultiLayerConfiguration conf = ModelConfigs.parse(json);
      assertThat(conf.toJson()).isEqualTo(json);
      MultiLayerNetwork net = ModelConfigs.build(conf, 784, 10, new Sgd(0.1), 7);
      assertThat(net.output(org.nd4j.linalg.factory.Nd4j.rand(3, 784)).shape()).containsExactly(3, 10);
    }
  }

  /**
   * Pins the allow-list to what DL4J writes: every updater, weight init, activation, loss, pooling type and
   * convolution mode the trainer accepts, on a network with every accepted layer type, parses; and the classes
   * named in all that JSON are exactly the allow-list.
   */
  @Test
  void allowList_isExactlyWhatDl4jWritesForAcceptedNetworks() throws Exception {
    Set<String> named = new TreeSet<>();
    IUpdater[] updaters = {new Sgd(0.1), new Adam(1e-3), new Nesterovs(0.1, 0.9), new NoOp()};
    Activation[] activations = {Activation.RELU, Activation.IDENTITY, Activation.TANH, Activation.SIGMOID};
    LossFunction[] losses = {LossFunction.MCXENT, LossFunction.NEGATIVELOGLIKELIHOOD};
    int k = 0;
    for (WeightInit init : WeightInit.values()) {
      if (init == WeightInit.DISTRIBUTION) {
        continue; // below, with each distribution
      }
      named.addAll(checkParses(cnn(updaters[k % 4], init, null, activations[k % 4], losses[k % 2],
          k % 2 == 0 ? SubsamplingLayer.PoolingType.MAX : SubsamplingLayer.PoolingType.AVG,
          k % 3 == 0 ? ConvolutionMode.Same : ConvolutionMode.Truncate)));
      k++;
    }
    for (Distribution d : new Distribution[] {new NormalDistribution(0, 0.1), new UniformDistribution(-0.1, 0.1),
        new TruncatedNormalDistribution(0, 0.1)}) {
      named.addAll(checkParses(cnn(new Sgd(0.1), WeightInit.DISTRIBUTION, d, Activation.RELU, LossFunction.MCXENT,
          SubsamplingLayer.PoolingType.MAX, ConvolutionMode.Truncate)));
    }
    for (IUpdater u : updaters) {
      for (Activation a : activations) {
        for (LossFunction loss : losses) {
          named.addAll(checkParses(cnn(u, WeightInit.XAVIER, null, a, loss, SubsamplingLayer.PoolingType.AVG,
              ConvolutionMode.Strict)));
        }
      }
    }
    assertThat(named).isEqualTo(ModelConfigs.allowedClasses());
  }

  private static MultiLayerConfiguration cnn(IUpdater updater, WeightInit init, Distribution dist,
      Activation activation, LossFunction loss, SubsamplingLayer.PoolingType pooling, ConvolutionMode mode) {
    NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(1).updater(updater)
        .convolutionMode(mode);
    if (dist != null) {
      b.dist(dist);
    } else {
      b.weightInit(init);
    }
    return b.list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(2).activation(activation).build())
        .layer(new SubsamplingLayer.Builder(pooling).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(4).activation(activation).build())
        .layer(new OutputLayer.Builder(loss).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(8, 8, 1))
        .build();
  }

  private static Set<String> checkParses(MultiLayerConfiguration conf) throws Exception {
    String json = conf.toJson();
    assertThat(ModelConfigs.parse(json).toJson()).isEqualTo(json);
    Set<String> named = new TreeSet<>();
    Matcher m = Pattern.compile("\"(?:@class|type)\" : \"([^\"]+)\"").matcher(json);
    while (m.find()) {
      named.add(m.group(1));
    }
    return named;
  }

  /** Set by {@link Tripwire}'s static initializer (a field of its own would initialise it when read). */
  static volatile boolean tripped;

  /** Initialised only if something resolves its name. */
  static final class Tripwire {
    static {
      tripped = true;
    }
  }

  @Test
  void foreignClasses_areRefusedBeforeDl4jParses_namingClassAndPath() {
    String tripwire = Tripwire.class.getName();
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst(Pattern.quote(DENSE), Matcher.quoteReplacement(tripwire))))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining(tripwire).hasMessageContaining("$.confs[0].layer.@class");
    assertThat(tripped).as("our check resolved no class").isFalse();
    // the same document handed to DL4J directly does load it: the tripwire works
    try {
      MultiLayerConfiguration.fromJson(mlpJson().replaceFirst(Pattern.quote(DENSE), Matcher.quoteReplacement(tripwire)));
    } catch (RuntimeException expected) {
      // not a Layer: DL4J fails, after loading the class
    }
    assertThat(tripped).isTrue();

    for (String foreign : new String[] {"java.net.URL", "org.deeplearning4j.nn.conf.layers.LSTM",
        "org.deeplearning4j.nn.conf.layers.BatchNormalization"}) {
      assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst(Pattern.quote(DENSE), foreign)))
          .isInstanceOf(ModelValidationException.class)
          .hasMessageContaining("names class \"" + foreign + "\" at \"$.confs[0].layer.@class\"");
    }
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst(Pattern.quote(DENSE),
        "org.deeplearning4j.nn.conf.layers.BatchNormalization")))
        .hasMessageContaining("batch normalization mixes the examples");
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replace("ActivationReLU", "ActivationELU")))
        .hasMessageContaining("org.nd4j.linalg.activations.impl.ActivationELU")
        .hasMessageContaining("$.confs[0].layer.activationFn.@class");
    // type ids in other spellings and properties
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst("\"@class\" : \"" + Pattern.quote(DENSE),
        "\"@CLASS\" : \"java.net.URL\", \"@class\" : \"" + DENSE)))
        .hasMessageContaining("java.net.URL").hasMessageContaining("$.confs[0].layer.@CLASS");
    String withDistribution = cnn(new Sgd(0.1), WeightInit.DISTRIBUTION, new NormalDistribution(0, 1), Activation.RELU,
        LossFunction.MCXENT, SubsamplingLayer.PoolingType.MAX, ConvolutionMode.Truncate).toJson();
    assertThatThrownBy(() -> ModelConfigs.parse(withDistribution.replace(
        "org.deeplearning4j.nn.conf.distribution.NormalDistribution",
        "org.deeplearning4j.nn.conf.distribution.BinomialDistribution")))
        .hasMessageContaining("BinomialDistribution").hasMessageContaining("distribution.type");
    // a regularizer or dropout names a class DL4J would instantiate: not on the list
    String withDropout = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(3).dropOut(0.5).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(3).nOut(2).activation(Activation.SOFTMAX).build())
        .build().toJson();
    assertThatThrownBy(() -> ModelConfigs.parse(withDropout))
        .hasMessageContaining("org.deeplearning4j.nn.conf.dropout.Dropout").hasMessageContaining("idropout");
  }

  @Test
  void classNameLookingStrings_inInnocentFields_areRefused() {
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replace("\"layer0\"", "\"java.net.URL\"")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("looks like a Java class name").hasMessageContaining("\"java.net.URL\"")
        .hasMessageContaining("$.confs[0].layer.layerName");
    // Jackson's array form of a type id, and generics
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst("\"variables\" : \\[ \"W\", \"b\" \\]",
        "\"variables\" : [ \"java.util.ArrayList<java.net.URL>\", [ ] ]")))
        .hasMessageContaining("looks like a Java class name").hasMessageContaining("$.confs[0].variables[0]");
    // strings DL4J never writes: refused even without three dotted parts
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replace("\"layer0\"", "\"a.B\"")))
        .hasMessageContaining("\"a.B\"").hasMessageContaining("letters, digits");
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replace("\"layerName\"", "\"@type\"")))
        .hasMessageContaining("key \"@type\"");
  }

  @Test
  void oversizeMalformedDeepAndLegacyJson_areRefused() {
    String big = mlpJson().replaceFirst("\\{", "{" + " ".repeat(ModelConfigs.MAX_JSON_BYTES));
    assertThatThrownBy(() -> ModelConfigs.parse(big)).isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("larger than 262144 bytes");
    // multi-byte characters count as their UTF-8 bytes
    String wide = "{\"x\":\"" + "é".repeat(ModelConfigs.MAX_JSON_BYTES / 2) + "\"}";
    assertThatThrownBy(() -> ModelConfigs.parse(wide)).hasMessageContaining("larger than 262144 bytes");
    assertThatThrownBy(() -> ModelConfigs.parse("{\"confs\": [")).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ModelConfigs.parse("not json")).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ModelConfigs.parse("[1, 2]")).hasMessageContaining("must be an object");
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson() + " {}")).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst("\"seed\" : 1,", "\"seed\" : 1, \"seed\" : 2,")))
        .hasMessageContaining("not valid JSON").hasMessageContaining("Duplicate field 'seed'");
    assertThatThrownBy(() -> ModelConfigs.parse("[".repeat(5000) + "]".repeat(5000)))
        .hasMessageContaining("nests deeper than 32");
    assertThatThrownBy(() -> ModelConfigs.parse("{\"confs\": []}")).hasMessageContaining("no layers");
    assertThatThrownBy(() -> ModelConfigs.parse("{\"confs\": [{\"layer\": {\"dense\": {\"nIn\": 4, \"nOut\": 2}}}]}"))
        .hasMessageContaining("pre-1.0 JSON formats are not accepted");
    assertThatThrownBy(() -> ModelConfigs.parse(mlpJson().replaceFirst("\"nout\" : 32", "\"nout\" : \"many\"")))
        .hasMessageContaining("DL4J cannot read the model configuration");
  }

  @Test
  void build_refusesAModelThatDoesNotFitTheData() throws Exception {
    MultiLayerConfiguration narrow = Models.mlp(100, 16, 10, new Sgd(0.1), 1).getLayerWiseConfigurations();
    assertThatThrownBy(() -> ModelConfigs.build(narrow, 784, 10, new Sgd(0.1), 1))
        .isInstanceOf(ModelValidationException.class)
        .hasMessage("the model's first layer takes 100 inputs but the datasets have 784 features");
    MultiLayerConfiguration five = Models.mlp(784, 16, 5, new Sgd(0.1), 1).getLayerWiseConfigurations();
    assertThatThrownBy(() -> ModelConfigs.build(five, 784, 10, new Sgd(0.1), 1))
        .hasMessage("the model's output layer has 5 outputs but the datasets have 10 classes");
    MultiLayerConfiguration lenet = ModelConfigs.parse(lenetJson());
    assertThatThrownBy(() -> ModelConfigs.build(lenet, 100, 10, new Sgd(0.1), 1))
        .hasMessage("the model's first layer takes 28 × 28 × 1 = 784 inputs but the datasets have 100 features");
    MultiLayerConfiguration broken = ModelConfigs.parse(mlpJson().replaceFirst("\"nin\" : 32", "\"nin\" : 31"));
    assertThatThrownBy(() -> ModelConfigs.build(broken, 784, 10, new Sgd(0.1), 1))
        .hasMessageContaining("layer 1 (OutputLayer) takes 31 inputs but receives 32");
  }

  /** Issue 13: every problem that does not depend on the shapes is reported at once, each naming its layer. */
  @Test
  void build_reportsEveryLayerProblemAtOnce() {
    MultiLayerConfiguration many = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU).build())
        .layer(new BatchNormalization.Builder().nOut(16).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(16).nOut(16).activation(Activation.SOFTMAX).build())
        .layer(new org.deeplearning4j.nn.conf.layers.DropoutLayer.Builder(0.5).build())
        .build();
    assertThatThrownBy(() -> ModelConfigs.build(many, 784, 10, new Sgd(0.1), 1))
        .isInstanceOfSatisfying(ModelValidationException.class, e -> {
          assertThat(e.problems()).hasSize(4);
          assertThat(e.problems().get(0)).startsWith("layer 1 (BatchNormalization): batch normalization mixes");
          assertThat(e.problems().get(1)).isEqualTo("layer 2 (OutputLayer): an OutputLayer must be the last layer");
          assertThat(e.problems().get(2)).startsWith("layer 3 (DropoutLayer) is not supported: the private trainer"
              + " takes ConvolutionLayer, SubsamplingLayer, DenseLayer and one final OutputLayer");
          assertThat(e.problems().get(3)).startsWith("the model's last layer is a DropoutLayer: it must be an"
              + " OutputLayer");
          assertThat(e.getMessage()).startsWith("4 problems: (1) layer 1 (BatchNormalization)")
              .contains("; (4) the model's last layer");
        });
  }

  @Test
  void build_refusesBatchNormDropoutAndHugeModels() {
    MultiLayerConfiguration batchNorm = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU).build())
        .layer(new BatchNormalization.Builder().nOut(16).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(16).nOut(10).activation(Activation.SOFTMAX).build())
        .build();
    assertThatThrownBy(() -> ModelConfigs.build(batchNorm, 784, 10, new Sgd(0.1), 1))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("layer 1 (BatchNormalization): batch normalization mixes the examples");
    MultiLayerConfiguration dropout = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).dropOut(0.5).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(16).nOut(10).activation(Activation.SOFTMAX).build())
        .build();
    assertThatThrownBy(() -> ModelConfigs.build(dropout, 784, 10, new Sgd(0.1), 1)).hasMessageContaining("dropout");
    // 784·65536 + 65536² parameters: refused from the configuration, before anything is allocated
    MultiLayerConfiguration huge = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(65_536).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(65_536).nOut(65_536).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(65_536).nOut(10).activation(Activation.SOFTMAX).build())
        .build();
    assertThatThrownBy(() -> ModelConfigs.build(huge, 784, 10, new Sgd(0.1), 1))
        .hasMessageContaining("more than 50000000 parameters");
    MultiLayerConfiguration tanhOut = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(16).nOut(10).activation(Activation.TANH).build())
        .build();
    assertThatThrownBy(() -> ModelConfigs.build(tanhOut, 784, 10, new Sgd(0.1), 1))
        .hasMessageContaining("softmax with cross-entropy");
  }

  @Test
  void build_replacesUpdaterAndSeed_onACopy() throws Exception {
    MultiLayerConfiguration conf = ModelConfigs.parse(Models.mlp(784, 16, 10, new Adam(1e-3), 1)
        .getLayerWiseConfigurations().toJson());
    MultiLayerNetwork a = ModelConfigs.build(conf, 784, 10, new Sgd(0.25), 42);
    MultiLayerNetwork b = ModelConfigs.build(conf, 784, 10, new Sgd(0.25), 42);
    MultiLayerNetwork c = ModelConfigs.build(conf, 784, 10, new Sgd(0.25), 43);
    for (int i = 0; i < a.getnLayers(); i++) {
      BaseLayer layer = (BaseLayer) a.getLayerWiseConfigurations().getConf(i).getLayer();
      assertThat(layer.getIUpdater()).isEqualTo(new Sgd(0.25));
      assertThat(layer.getUpdaterByParam("b")).isEqualTo(new Sgd(0.25));
      assertThat(((BaseLayer) conf.getConf(i).getLayer()).getIUpdater()).isInstanceOf(Adam.class); // untouched
    }
    assertThat(a.params()).isEqualTo(b.params());
    assertThat(a.params()).isNotEqualTo(c.params());
  }

  /**
   * Issue 12, item 4: a refused model must allocate nothing. 240 refused submissions of a 784-20000-10 model took the
   * coordinator to 17.6 GB RSS: each built its 63 MB network before being refused, and the native memory waited
   * for a garbage collection. Now the allow-list and the initial-weight bound run on the configuration.
   */
  @Test
  void refusedModels_allocateNoNativeMemory() throws Exception {
    MultiLayerConfiguration softsign = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(20_000).activation(Activation.SOFTSIGN).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(20_000).nOut(10).activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerConfiguration huge = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(20_000).activation(Activation.RELU)
            .weightInit(new NormalDistribution(0, 1e6)).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(20_000).nOut(10).activation(Activation.SOFTMAX).build())
        .build();
    // the process's resident memory, as the red team measured it (ND4J's allocator is not JavaCPP's Pointer count)
    long before = org.bytedeco.javacpp.Pointer.physicalBytes();
    for (int i = 0; i < 10; i++) {
      for (MultiLayerConfiguration c : new MultiLayerConfiguration[] {softsign, huge}) {
        assertThatThrownBy(() -> ModelConfigs.build(ModelConfigs.parse(c.toJson()), 784, 10, new Sgd(0.1), 1))
            .isInstanceOf(ModelValidationException.class);
      }
    }
    long grown = org.bytedeco.javacpp.Pointer.physicalBytes() - before;
    // 20 refusals of 15.7M float parameters would hold 1.26 GB (2.5 GB with gradients) until a GC
    assertThat(grown).as("resident bytes grown by 20 refused models").isLessThan(400L << 20);
    assertThatThrownBy(() -> ModelConfigs.build(ModelConfigs.parse(huge.toJson()), 784, 10, new Sgd(0.1), 1))
        .hasMessageContaining("layer 0's initial weights").hasMessageContaining("6.00e+06");
  }
}
