package dev.rampart.trainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.shade.jackson.core.JsonLocation;
import org.nd4j.shade.jackson.core.JsonParser;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * A data scientist's model as it arrives over the network: a DL4J {@link MultiLayerConfiguration} in the JSON
 * that {@code MultiLayerConfiguration.toJson()} writes, parsed without letting the sender choose which classes get
 * instantiated, then built into a network the private trainer accepts.
 *
 * <p>DL4J's JSON is polymorphic: Jackson instantiates whatever class a type id ({@code "@class"}, and
 * {@code "type"} for weight-init distributions) names, and DL4J falls back to a legacy mapper with other type
 * ids. So before DL4J sees a byte, {@link #parse} walks the document as a plain tree and refuses it unless every
 * type id names a class on {@link #allowedClasses() the allow-list}, no other string looks like a class name, and
 * every key and string is of the plain kind DL4J writes; it then parses with DL4J's current-format mapper only
 * (no legacy fallback). The allow-list is what DL4J 1.0.0-M2.1 writes for the networks the private trainer
 * validates (see {@code docs/dp-sgd.md}). Java serialisation is never involved.
 */
public final class ModelConfigs {
  /** The largest model JSON accepted, in UTF-8 bytes (LeNet's is about 12 KiB). */
  public static final int MAX_JSON_BYTES = 256 * 1024;
  /** Nesting deeper than this is refused before parsing (DL4J's JSON nests 6 deep; parsers recurse). */
  static final int MAX_DEPTH = 32;
  /**
   * Values per example a layer may produce, or a convolution's im2col rows may hold: the trainer keeps them for a
   * chunk of {@value DpSgdTrainer#CHUNK} examples, so this bounds a hostile model's memory (4 GiB per layer).
   */
  static final long MAX_ACTIVATIONS_PER_EXAMPLE = 1L << 20;
  /** Image sides, channels, kernel sizes and strides beyond this are refused before anything is sized from them. */
  static final int MAX_DIMENSION = 1 << 16;
  static final int MAX_KERNEL = 1 << 10;

  private static final String LAYERS = "org.deeplearning4j.nn.conf.layers.";
  private static final String PREPROCESSORS = "org.deeplearning4j.nn.conf.preprocessor.";
  private static final String ACTIVATIONS = "org.nd4j.linalg.activations.impl.";
  private static final String LOSSES = "org.nd4j.linalg.lossfunctions.impl.";
  private static final String UPDATERS = "org.nd4j.linalg.learning.config.";
  private static final String WEIGHT_INITS = "org.deeplearning4j.nn.weights.";
  private static final String DISTRIBUTIONS = "org.deeplearning4j.nn.conf.distribution.";

  /**
   * Every class a type id may name. Derived from the JSON DL4J 1.0.0-M2.1 writes (inspected, and pinned by
   * {@code ModelConfigsTest}) for: the four layer types and two reshape preprocessors the trainer's clippers take;
   * the activations and losses they validate; the updaters Sgd, Adam, Nesterovs and NoOp (replaced by
   * {@link #build} anyway); and every {@code WeightInit} constant (what each writes, Normal, Uniform and
   * TruncatedNormal distributions for {@code WeightInit.DISTRIBUTION}).
   */
  private static final Set<String> ALLOWED_CLASSES = Set.of(
      LAYERS + "DenseLayer", LAYERS + "OutputLayer", LAYERS + "ConvolutionLayer", LAYERS + "SubsamplingLayer",
      PREPROCESSORS + "FeedForwardToCnnPreProcessor", PREPROCESSORS + "CnnToFeedForwardPreProcessor",
      ACTIVATIONS + "ActivationReLU", ACTIVATIONS + "ActivationIdentity", ACTIVATIONS + "ActivationTanH",
      ACTIVATIONS + "ActivationSigmoid", ACTIVATIONS + "ActivationSoftmax",
      LOSSES + "LossMCXENT", LOSSES + "LossNegativeLogLikelihood",
      UPDATERS + "Sgd", UPDATERS + "Adam", UPDATERS + "Nesterovs", UPDATERS + "NoOp",
      WEIGHT_INITS + "WeightInitConstant", WEIGHT_INITS + "WeightInitDistribution",
      WEIGHT_INITS + "WeightInitIdentity", WEIGHT_INITS + "WeightInitLecunUniform", WEIGHT_INITS + "WeightInitNormal",
      WEIGHT_INITS + "WeightInitRelu", WEIGHT_INITS + "WeightInitReluUniform",
      WEIGHT_INITS + "WeightInitSigmoidUniform", WEIGHT_INITS + "WeightInitUniform",
      WEIGHT_INITS + "WeightInitVarScalingNormalFanAvg", WEIGHT_INITS + "WeightInitVarScalingNormalFanIn",
      WEIGHT_INITS + "WeightInitVarScalingNormalFanOut", WEIGHT_INITS + "WeightInitVarScalingUniformFanAvg",
      WEIGHT_INITS + "WeightInitVarScalingUniformFanIn", WEIGHT_INITS + "WeightInitVarScalingUniformFanOut",
      WEIGHT_INITS + "WeightInitXavier", WEIGHT_INITS + "WeightInitXavierLegacy",
      WEIGHT_INITS + "WeightInitXavierUniform",
      DISTRIBUTIONS + "NormalDistribution", DISTRIBUTIONS + "UniformDistribution",
      DISTRIBUTIONS + "TruncatedNormalDistribution");

  /** The properties through which DL4J's JSON names classes (compared ignoring case, as Jackson may). */
  private static final Set<String> TYPE_ID_KEYS = Set.of("@class", "type");
  /** Three or more dotted Java identifiers, anywhere in a string: what a class name or a type with generics has. */
  private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*){2,}");
  /** What DL4J writes as plain strings: enum constants, layer and parameter names. */
  private static final Pattern PLAIN_STRING = Pattern.compile("[A-Za-z0-9_ -]{0,128}");
  /** What DL4J writes as keys: bean properties, and layer indices for preprocessors. */
  private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_]{1,64}");
  private static final int MAX_MESSAGE = 240;
  private static final Pattern SOURCE_QUOTE = Pattern.compile("\\[Source: .*?; line: (\\d+), column: (\\d+)\\]");

  /**
   * A plain tree parser: no type ids are ever resolved by it. DL4J's shaded Jackson, so that its errors and DL4J's
   * are one type, configured as {@code dev.rampart.common.StrictJson} (duplicates and trailing content refused;
   * the depth is bounded by {@link #checkDepth} before it runs).
   */
  private static final ObjectMapper TREE = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ModelConfigs() {}

  /** The fully qualified class names a model's JSON may name (see the class comment). */
  public static Set<String> allowedClasses() {
    return new TreeSet<>(ALLOWED_CLASSES);
  }

  /**
   * Parses a model configuration from JSON of unknown origin. Refused, before DL4J parses anything: more than
   * {@value #MAX_JSON_BYTES} UTF-8 bytes, text that is not one JSON object (duplicate keys included), nesting
   * deeper than {@value #MAX_DEPTH}, a type id ({@code "@class"}, {@code "type"}) naming a class outside
   * {@link #allowedClasses()}, any other string that looks like a Java class name, and keys or strings unlike
   * those DL4J writes. Then DL4J's current-format mapper must accept it (its legacy formats are refused).
   *
   * @throws ModelValidationException saying what is wrong and where (a JSON path such as
   *     {@code $.confs[2].layer.@class}), never echoing more than a short quote of the input
   */
  public static MultiLayerConfiguration parse(String json) throws ModelValidationException {
    if (json == null) {
      throw new ModelValidationException("no model JSON was given");
    }
    long bytes = json.length() > MAX_JSON_BYTES ? json.length() : json.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_JSON_BYTES) {
      throw new ModelValidationException("the model JSON is larger than " + MAX_JSON_BYTES + " bytes (at least "
          + bytes + "): send the configuration only (MultiLayerConfiguration.toJson()), not weights or data");
    }
    checkDepth(json);
    JsonNode root;
    try {
      root = TREE.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ModelValidationException("the model is not valid JSON: " + brief(e)
          + ": send what MultiLayerConfiguration.toJson() writes");
    }
    if (root == null || !root.isObject()) {
      throw new ModelValidationException("the model JSON must be an object (what MultiLayerConfiguration.toJson()"
          + " writes), got " + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    walk(root, "$");
    JsonNode confs = root.get("confs");
    if (confs == null || !confs.isArray() || confs.isEmpty()) {
      throw new ModelValidationException("the model JSON has no layers: $.confs must be a non-empty array");
    }
    for (int i = 0; i < confs.size(); i++) {
      JsonNode layer = confs.get(i).get("layer");
      if (layer == null || !layer.isObject() || !layer.has("@class")) {
        throw new ModelValidationException("$.confs[" + i + "].layer must be an object with an \"@class\": the"
            + " pre-1.0 JSON formats are not accepted; save the model with DL4J 1.0.0-M2.1");
      }
    }
    MultiLayerConfiguration conf;
    try {
      // the current format only: MultiLayerConfiguration.fromJson would fall back to the legacy mapper
      conf = NeuralNetConfiguration.mapper().readValue(json, MultiLayerConfiguration.class);
    } catch (IOException | RuntimeException e) {
      throw new ModelValidationException("DL4J cannot read the model configuration: " + brief(e));
    }
    for (int i = 0; i < conf.getConfs().size(); i++) {
      Layer l = conf.getConf(i).getLayer();
      boolean incomplete = l == null
          || l instanceof BaseLayer b && (b.getActivationFn() == null || b.getWeightInitFn() == null)
          || l instanceof BaseOutputLayer o && o.getLossFn() == null;
      if (incomplete) {
        throw new ModelValidationException("$.confs[" + i + "].layer lacks its layer, activationFn, weightInitFn or"
            + " lossFn: the pre-1.0 JSON formats are not accepted; save the model with DL4J 1.0.0-M2.1");
      }
    }
    try {
      // DL4J's own entry point, for whatever it does besides mapping; the mapping above already succeeded
      return MultiLayerConfiguration.fromJson(json);
    } catch (RuntimeException e) {
      throw new ModelValidationException("DL4J cannot read the model configuration: " + brief(e));
    }
  }

  /**
   * Builds the network the private trainer will train from a configuration (usually from {@link #parse}), on a
   * copy: every layer's updater becomes {@code updater} (biases use it too), the seed {@code seed}, the data
   * type float32 (what the trainer feeds), and the iteration and epoch counters zero. Before anything is
   * allocated, the layers are checked against the data (the first layer takes {@code features} inputs, each
   * layer's input matches the previous layer's output, the output layer has {@code classes} outputs) and the
   * limits on parameters, widths and activation memory; after {@code init()}, the private trainer's own
   * validation runs (allow-listed layers and activations, softmax with cross-entropy, no batch normalization, no
   * dropout).
   *
   * @param features the datasets' features per example
   * @param classes the datasets' number of classes
   * @param updater e.g. {@code new Sgd(0.5)}, {@code new Adam(1e-3)}; each layer gets its own copy
   * @return the initialised network
   * @throws ModelValidationException naming the layer and what to change, e.g. "the model's output layer has 5
   *     outputs but the datasets have 10 classes"
   */
  public static MultiLayerNetwork build(MultiLayerConfiguration conf, int features, int classes, IUpdater updater,
      long seed) throws ModelValidationException {
    Objects.requireNonNull(conf, "conf");
    Objects.requireNonNull(updater, "updater");
    if (features < 1 || classes < 2) {
      throw new IllegalArgumentException("features must be >= 1 and classes >= 2, got " + features + " and "
          + classes);
    }
    MultiLayerConfiguration c;
    try {
      c = conf.clone();
    } catch (RuntimeException e) {
      throw new ModelValidationException("the model configuration cannot be copied: " + brief(e));
    }
    if (c.getConfs() == null || c.getConfs().isEmpty()) {
      throw new ModelValidationException("the model has no layers");
    }
    c.setIterationCount(0);
    c.setEpochCount(0);
    c.setDataType(DataType.FLOAT);
    for (NeuralNetConfiguration layerConf : c.getConfs()) {
      layerConf.setSeed(seed);
      layerConf.setDataType(DataType.FLOAT);
      layerConf.setIterationCount(0);
      layerConf.setEpochCount(0);
      if (layerConf.getLayer() instanceof BaseLayer b) {
        b.setIUpdater(updater.clone());
        b.setBiasUpdater(null); // null: biases use the layer's updater
      }
    }
    // every layer problem, then the shapes, and the initial-weight bound, on the configuration: a refused model
    // allocates nothing (the red team's refused submissions held native memory until a GC that rarely came)
    ModelValidator.requireValid(c, features, classes);
    checkInitialScales(c);
    MultiLayerNetwork net = initialise(c);
    try {
      checkInitialWeights(net);
      PerExampleClipper.of(net); // the trainer's own validation, as DpSgdTrainer's constructor runs it
    } catch (ModelValidationException | RuntimeException e) {
      net.close(); // native memory now, not at some later GC
      throw e;
    }
    return net;
  }

  /**
   * The initial-weight bound from the configuration alone, before anything is allocated: a constant init, a
   * distribution (mean plus six standard deviations, or the uniform bounds) or a bias init beyond
   * {@link #MAX_INITIAL_WEIGHT}. The standard inits scale with the fan-in and are checked on the values after
   * {@code init()} by {@link #checkInitialWeights}.
   */
  static void checkInitialScales(MultiLayerConfiguration conf) throws ModelValidationException {
    for (int i = 0; i < conf.getConfs().size(); i++) {
      if (!(conf.getConf(i).getLayer() instanceof BaseLayer b)) {
        continue;
      }
      // the init's own fields, as DL4J's mapper writes them (the classes have no getters): a constant's value, a
      // distribution's mean and std or bounds
      JsonNode init = NeuralNetConfiguration.mapper().valueToTree(b.getWeightInitFn());
      JsonNode dist = init.path("distribution");
      double weights = Math.abs(init.path("value").asDouble(0));
      double spread = dist.path("@class").asText(dist.path("type").asText("")).endsWith("TruncatedNormalDistribution")
          ? 2 : 6;
      weights = Math.max(weights, Math.abs(dist.path("mean").asDouble(0)) + spread * Math.abs(dist.path("std")
          .asDouble(0)));
      weights = Math.max(weights, Math.max(Math.abs(dist.path("lower").asDouble(0)),
          Math.abs(dist.path("upper").asDouble(0))));
      String what = null;
      double value = 0;
      if (!(weights <= MAX_INITIAL_WEIGHT)) {
        what = "weights";
        value = weights;
      } else if (!(Math.abs(b.getBiasInit()) <= MAX_INITIAL_WEIGHT)) {
        what = "biases";
        value = Math.abs(b.getBiasInit());
      }
      if (what != null) {
        throw new ModelValidationException("layer " + i + "'s initial " + what + " reach |w| = "
            + (Double.isFinite(value) ? String.format(Locale.ROOT, "%.3g", value) : "a non-finite value")
            + "; the limit is " + MAX_INITIAL_WEIGHT + ": use a standard weight init (XAVIER, RELU) or a smaller"
            + " constant, distribution or biasInit");
      }
    }
  }

  /**
   * The largest initial weight or bias (in absolute value) a model may start from. Every standard init (Xavier,
   * ReLU, LeCun, a unit normal) stays far below it; a huge constant or distribution is how a hostile model makes
   * one outlier example's activations overflow. The clippers give such an example exactly zero weight anyway;
   * this bound is the second line.
   */
  static final double MAX_INITIAL_WEIGHT = 100.0;

  /** Refuses initial parameters that are not finite or exceed {@link #MAX_INITIAL_WEIGHT}, naming the layer. */
  static void checkInitialWeights(MultiLayerNetwork net) throws ModelValidationException {
    for (int i = 0; i < net.getnLayers(); i++) {
      for (Map.Entry<String, INDArray> e : net.getLayer(i).paramTable().entrySet()) {
        INDArray d = e.getValue().castTo(DataType.DOUBLE);
        double largest = d.amaxNumber().doubleValue();
        double sum = d.sumNumber().doubleValue();
        if (!Double.isFinite(largest) || !Double.isFinite(sum) || largest > MAX_INITIAL_WEIGHT) {
          String what = "W".equals(e.getKey()) ? "weights" : "b".equals(e.getKey()) ? "biases" : e.getKey();
          throw new ModelValidationException("layer " + i + "'s initial " + what + " reach |w| = "
              + (Double.isFinite(largest) && Double.isFinite(sum) ? String.format(Locale.ROOT, "%.3g", largest)
                  : "a non-finite value")
              + "; the limit is " + MAX_INITIAL_WEIGHT + ": use a standard weight init (XAVIER, RELU) or a smaller"
              + " constant, distribution or biasInit");
        }
      }
    }
  }

  /** {@code new MultiLayerNetwork(conf).init()}, with DL4J's failures as a typed error. */
  static MultiLayerNetwork initialise(MultiLayerConfiguration conf) throws ModelValidationException {
    try {
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init();
      return net;
    } catch (RuntimeException e) {
      throw new ModelValidationException("DL4J cannot build the model: " + brief(e));
    }
  }

  /** Refuses nesting beyond {@link #MAX_DEPTH} without parsing (tree parsers recurse). */
  private static void checkDepth(String json) throws ModelValidationException {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char ch = json.charAt(i);
      if (inString) {
        if (ch == '\\') {
          i++;
        } else if (ch == '"') {
          inString = false;
        }
      } else if (ch == '"') {
        inString = true;
      } else if (ch == '{' || ch == '[') {
        if (++depth > MAX_DEPTH) {
          throw new ModelValidationException("the model JSON nests deeper than " + MAX_DEPTH + " levels (at character "
              + i + "): DL4J's configurations nest about 6");
        }
      } else if (ch == '}' || ch == ']') {
        depth--;
      }
    }
  }

  private static void walk(JsonNode node, String path) throws ModelValidationException {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String key = field.getKey();
        String at = path + "." + key;
        if (TYPE_ID_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
          checkTypeId(field.getValue(), quote(at));
          continue;
        }
        if (!PLAIN_KEY.matcher(key).matches()) {
          throw new ModelValidationException("the model JSON has key " + quote(key) + " in " + quote(path)
              + ": DL4J's configurations only have keys of letters, digits and _ (and \"@class\")");
        }
        walk(field.getValue(), at);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]");
      }
    } else if (node.isTextual()) {
      String text = node.textValue();
      var m = CLASS_NAME.matcher(text);
      if (m.find()) {
        throw new ModelValidationException("the model JSON has a string that looks like a Java class name, "
            + quote(m.group()) + ", at " + quote(path) + ": only \"@class\" may name classes, and only allow-listed"
            + " ones");
      }
      if (!PLAIN_STRING.matcher(text).matches()) {
        throw new ModelValidationException("the model JSON has the string " + quote(text) + " at " + quote(path)
            + ": DL4J's configurations only have strings of up to 128 letters, digits, spaces, _ and - (rename"
            + " the layer if it is a layer name)");
      }
    }
  }

  private static void checkTypeId(JsonNode value, String at) throws ModelValidationException {
    if (!value.isTextual()) {
      throw new ModelValidationException("the type id at " + at + " must be a class name string");
    }
    String name = value.textValue();
    if (!ALLOWED_CLASSES.contains(name)) {
      String why = name.equals(LAYERS + "BatchNormalization") ? " (" + ModelValidator.BATCH_NORM_REASON + ")" : "";
      throw new ModelValidationException("the model JSON names class " + quote(name) + " at " + at + ", which the"
          + " private trainer does not accept" + why + ": it takes DenseLayer, ConvolutionLayer, SubsamplingLayer"
          + " and OutputLayer; relu, identity, tanh, sigmoid and softmax; MCXENT or NEGATIVELOGLIKELIHOOD; Sgd,"
          + " Adam, Nesterovs or NoOp; and DL4J's standard weight inits (see docs/dp-sgd.md)");
    }
  }

  /** A short quote of untrusted text for a message. */
  private static String quote(String s) {
    String cut = s.length() > 80 ? s.substring(0, 80) + "…" : s;
    StringBuilder b = new StringBuilder("\"");
    cut.codePoints().forEach(cp -> {
      if (cp < 0x20 || cp == 0x7f) {
        b.append(String.format("\\u%04x", cp));
      } else {
        b.appendCodePoint(cp);
      }
    });
    return b.append('"').toString();
  }

  /** A short reason from an exception: the innermost Jackson message without its echo of the input. */
  static String brief(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t && !(t instanceof JsonProcessingException)) {
      t = t.getCause();
    }
    String message;
    if (t instanceof JsonProcessingException j) {
      JsonLocation loc = j.getLocation();
      message = j.getOriginalMessage() + (loc == null ? "" : " (line " + loc.getLineNr() + ", column "
          + loc.getColumnNr() + ")");
    } else {
      message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
    // Jackson quotes the input in "[Source: ...; line: n, column: m]": keep the position only
    message = SOURCE_QUOTE.matcher(message.lines().findFirst().orElse("").strip()).replaceAll("line $1, column $2");
    return message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message;
  }
}
