package dev.rampart.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Whether the private trainer takes a model, with every problem at once, each naming the layer and what to use
 * instead, so that a scientist fixes a configuration in one round. Two passes: the layers (each kind's
 * {@link LayerRule}, the order, the output against the classes, the reshapes), then, only if they pass, the
 * shapes layer by layer against the data and the limits on parameters, widths and activation memory (which stops
 * at its first problem: after it the next layer's input is unknown). Nothing is allocated.
 */
public final class ModelValidator {
  /** Refuse models beyond this many parameters: a hostile model must not exhaust the machine. */
  public static final long MAX_PARAMETERS = 50_000_000L;
  /** Refuse layers wider than this (activation memory is batch × width). */
  public static final long MAX_LAYER_WIDTH = 1L << 16;
  /** Why batch normalization is refused, and what to do instead. */
  static final String BATCH_NORM_REASON = "batch normalization mixes the examples of a batch, so one example's"
      + " gradient depends on the others and per-example clipping no longer bounds its influence; remove it (a"
      + " slightly lower learning rate usually makes up for it)";

  private ModelValidator() {}

  /**
   * Every problem of {@code conf} for the private trainer, in layer order; empty if it trains.
   *
   * @param features the datasets' features per example, checked when positive (a model file states its own)
   * @param classes the datasets' classes, checked when positive
   */
  public static List<String> validate(MultiLayerConfiguration conf, int features, int classes) {
    List<String> problems = layerProblems(conf, classes);
    if (problems.isEmpty()) {
      try {
        shapes(conf, features);
      } catch (ModelValidationException e) {
        problems.addAll(e.problems());
      }
    }
    return problems;
  }

  /**
   * {@link #validate}, as a refusal.
   *
   * @return the number of parameters
   * @throws ModelValidationException with every problem found
   */
  static long requireValid(MultiLayerConfiguration conf, int features, int classes) throws ModelValidationException {
    List<String> problems = layerProblems(conf, classes);
    if (!problems.isEmpty()) {
      throw new ModelValidationException(problems);
    }
    return shapes(conf, features);
  }

  /** {@link #requireValid} on an initialised network, with its actual parameter count against the limit. */
  static void requireValid(MultiLayerNetwork net) throws ModelValidationException {
    if (net.numParams() > MAX_PARAMETERS) {
      throw new ModelValidationException("the model has " + net.numParams() + " parameters; the limit is "
          + MAX_PARAMETERS);
    }
    requireValid(net.getLayerWiseConfigurations(), 0, 0);
  }

  /**
   * The problems of the layers that do not depend on their shapes: missing layers, kinds without a rule (batch
   * normalization with its reason), each rule's own, the last layer, the output's width against the classes, and
   * the reshapes (only DL4J's feed-forward/CNN ones, around convolutional layers, on layers that exist).
   */
  static List<String> layerProblems(MultiLayerConfiguration conf, int classes) {
    List<String> problems = new ArrayList<>();
    int n = conf.getConfs() == null ? 0 : conf.getConfs().size();
    if (n == 0) {
      problems.add("the model has no layers");
      return problems;
    }
    boolean convolutional = false;
    for (int i = 0; i < n; i++) {
      Layer l = conf.getConf(i).getLayer();
      if (l == null) {
        problems.add("layer " + i + " is missing");
        continue;
      }
      convolutional |= l.getClass() == ConvolutionLayer.class || l.getClass() == SubsamplingLayer.class;
      String where = "layer " + i + " (" + l.getClass().getSimpleName() + ")";
      LayerRule rule = LayerRule.of(l);
      if (l instanceof BatchNormalization) {
        problems.add(where + ": " + BATCH_NORM_REASON);
      } else if (rule == null) {
        problems.add(where + " is not supported: the private trainer takes " + LayerRules.ACCEPTED);
      } else {
        rule.problems(l, where, i == n - 1, problems);
      }
    }
    Layer last = conf.getConf(n - 1).getLayer();
    if (last != null && !(last instanceof OutputLayer)) {
      problems.add("the model's last layer is a " + last.getClass().getSimpleName() + ": it must be an OutputLayer"
          + " (softmax with MCXENT or NEGATIVELOGLIKELIHOOD)");
    }
    if (last instanceof OutputLayer out && classes > 0 && out.getNOut() != classes) {
      problems.add("the model's output layer has " + out.getNOut() + " outputs but the datasets have " + classes
          + " classes");
    }
    for (var e : conf.getInputPreProcessors().entrySet()) {
      Integer at = e.getKey();
      InputPreProcessor pre = e.getValue();
      if (at == null || at < 0 || at >= n) {
        problems.add("an input preprocessor is attached to layer " + at + ", which does not exist");
      } else if (pre == null || (pre.getClass() != FeedForwardToCnnPreProcessor.class
          && pre.getClass() != CnnToFeedForwardPreProcessor.class)) {
        problems.add("layer " + at + ": input preprocessor " + (pre == null ? "null" : pre.getClass().getSimpleName())
            + " is not supported (only the feed-forward/CNN reshapes that setInputType adds)");
      } else if (!convolutional) {
        problems.add("layer " + at + ": input preprocessors are only supported around convolutional layers");
      }
    }
    return problems;
  }

  /**
   * Checks a configuration's layers before anything is sized from them: allow-listed layer and preprocessor
   * types, each layer's input size against what comes in, and the limits. {@code features} and {@code classes}
   * are checked when positive (a model file states its own).
   *
   * @return the number of parameters
   */
  private static long shapes(MultiLayerConfiguration conf, int features) throws ModelValidationException {
    int n = conf.getConfs().size();
    // layer by layer: a layer that does not fit its input leaves the next one's input unknown, so this pass stops
    // at its first problem
    InputType type = null;
    long parameters = 0;
    for (int i = 0; i < n; i++) {
      Layer l = conf.getConf(i).getLayer();
      String where = "layer " + i + " (" + l.getClass().getSimpleName() + ")";
      Class<?> kind = l.getClass();
      boolean image = kind == ConvolutionLayer.class || kind == SubsamplingLayer.class;
      InputPreProcessor pre = conf.getInputPreProcess(i);
      if (i == 0) {
        type = firstInput(l, pre, features);
      }
      if (pre != null) {
        type = reshape(where, pre, type);
      }
      if (image != (type instanceof InputType.InputTypeConvolutional)) {
        throw new ModelValidationException(where + " receives " + (image ? "flat vectors" : "images")
            + ": put the layers in order (convolutions and pooling, then dense layers) and build the configuration"
            + " with setInputType(InputType.convolutionalFlat(height, width, channels)) so DL4J adds the reshapes");
      }
      if (l instanceof FeedForwardLayer ff) {
        long expected = image ? ((InputType.InputTypeConvolutional) type).getChannels() : type.arrayElementsPerExample();
        if (ff.getNIn() != expected) {
          throw new ModelValidationException(i == 0 && !image
              ? "the model's first layer takes " + ff.getNIn() + " inputs but the datasets have " + expected
                  + " features"
              : where + " takes " + ff.getNIn() + (image ? " channels" : " inputs") + " but receives " + expected
                  + ": fix its nIn (or let setInputType set it)");
        }
        if (ff.getNOut() < 1 || ff.getNOut() > MAX_LAYER_WIDTH) {
          throw new ModelValidationException(where + " has " + ff.getNOut() + " outputs; the limit is "
              + MAX_LAYER_WIDTH);
        }
      }
      if (l instanceof ConvolutionLayer conv) {
        checkWindow(where, conv.getKernelSize(), conv.getStride(), conv.getPadding(), conv.getConvolutionMode());
      } else if (l instanceof SubsamplingLayer pool) {
        checkWindow(where, pool.getKernelSize(), pool.getStride(), pool.getPadding(), pool.getConvolutionMode());
      }
      InputType in = type;
      try {
        parameters += l.initializer().numParams(l);
        type = l.getOutputType(i, type);
      } catch (RuntimeException e) {
        throw new ModelValidationException(where + " does not fit its input " + in + ": " + ModelConfigs.brief(e));
      }
      if (parameters > MAX_PARAMETERS) {
        throw new ModelValidationException("the model has more than " + MAX_PARAMETERS
            + " parameters (at " + where + "): make it smaller");
      }
      if (type instanceof InputType.InputTypeConvolutional out && (out.getHeight() < 1 || out.getWidth() < 1)) {
        throw new ModelValidationException(where + ": its window does not fit its input " + in + " (output "
            + out.getHeight() + " × " + out.getWidth() + "): use a smaller kernel or stride, or padding");
      }
      // in double: a hostile configuration's sizes may overflow a long
      double activations = type.arrayElementsPerExample();
      if (type instanceof InputType.InputTypeConvolutional out && l instanceof ConvolutionLayer conv) {
        double im2col = (double) out.getHeight() * out.getWidth()
            * ((InputType.InputTypeConvolutional) in).getChannels() * conv.getKernelSize()[0] * conv.getKernelSize()[1];
        activations = Math.max(activations, im2col);
      }
      if (activations < 1 || activations > ModelConfigs.MAX_ACTIVATIONS_PER_EXAMPLE) {
        throw new ModelValidationException(where + " produces " + String.format(Locale.ROOT, "%.0f", activations)
            + " values per example (output " + type
            + "); the limit is " + ModelConfigs.MAX_ACTIVATIONS_PER_EXAMPLE + ": use fewer channels, larger strides or pooling");
      }
    }
    return parameters;
  }

  /** What the first layer receives: flat vectors of {@code features}, or images if a reshape comes first. */
  private static InputType firstInput(Layer first, InputPreProcessor pre, int features)
      throws ModelValidationException {
    if (pre instanceof FeedForwardToCnnPreProcessor p) {
      long size = imageSize("layer 0", p.getInputHeight(), p.getInputWidth(), p.getNumChannels());
      if (features > 0 && size != features) {
        throw new ModelValidationException("the model's first layer takes " + p.getInputHeight() + " × "
            + p.getInputWidth() + " × " + p.getNumChannels() + " = " + size + " inputs but the datasets have "
            + features + " features");
      }
      return InputType.feedForward(size);
    }
    if (pre != null || !(first instanceof FeedForwardLayer ff) || first instanceof ConvolutionLayer) {
      String name = first.getClass().getSimpleName();
      throw new ModelValidationException("layer 0 (" + name + ") must take flat vectors of features: for images,"
          + " build the configuration with setInputType(InputType.convolutionalFlat(height, width, channels))");
    }
    long size = features > 0 ? features : ff.getNIn();
    if (size < 1 || size > dev.rampart.datasets.CanonicalFormat.MAX_FEATURES) {
      throw new ModelValidationException("the model's first layer takes " + ff.getNIn() + " inputs; datasets have 1.."
          + dev.rampart.datasets.CanonicalFormat.MAX_FEATURES + " features");
    }
    return InputType.feedForward(size);
  }

  private static InputType reshape(String where, InputPreProcessor pre, InputType in)
      throws ModelValidationException {
    if (pre.getClass() == FeedForwardToCnnPreProcessor.class && !(in instanceof InputType.InputTypeConvolutional)) {
      FeedForwardToCnnPreProcessor p = (FeedForwardToCnnPreProcessor) pre;
      long size = imageSize(where, p.getInputHeight(), p.getInputWidth(), p.getNumChannels());
      if (size != in.arrayElementsPerExample()) {
        throw new ModelValidationException(where + ": its input reshape expects " + size + " values but receives "
            + in.arrayElementsPerExample());
      }
      return InputType.convolutional(p.getInputHeight(), p.getInputWidth(), p.getNumChannels());
    }
    if (pre.getClass() == CnnToFeedForwardPreProcessor.class && in instanceof InputType.InputTypeConvolutional c) {
      CnnToFeedForwardPreProcessor p = (CnnToFeedForwardPreProcessor) pre;
      if (p.getFormat() != CNN2DFormat.NCHW || p.getInputHeight() != c.getHeight() || p.getInputWidth() != c.getWidth()
          || p.getNumChannels() != c.getChannels()) {
        throw new ModelValidationException(where + ": its input reshape expects " + p.getFormat() + " images of "
            + p.getInputHeight() + " × " + p.getInputWidth() + " × " + p.getNumChannels() + " but receives " + c);
      }
      return InputType.feedForward(c.arrayElementsPerExample());
    }
    throw new ModelValidationException(where + ": input preprocessor " + pre.getClass().getSimpleName() + " on "
        + in + " is not supported (only the feed-forward/CNN reshapes that setInputType adds)");
  }

  private static long imageSize(String where, long height, long width, long channels)
      throws ModelValidationException {
    if (height < 1 || width < 1 || channels < 1 || height > ModelConfigs.MAX_DIMENSION || width > ModelConfigs.MAX_DIMENSION
        || channels > ModelConfigs.MAX_DIMENSION) {
      throw new ModelValidationException(where + ": an input image of " + height + " × " + width + " × " + channels
          + " is not supported (each side 1.." + ModelConfigs.MAX_DIMENSION + ")");
    }
    return height * width * channels;
  }

  private static void checkWindow(String where, int[] kernel, int[] stride, int[] padding, ConvolutionMode mode)
      throws ModelValidationException {
    if (mode != ConvolutionMode.Truncate && mode != ConvolutionMode.Strict && mode != ConvolutionMode.Same) {
      throw new ModelValidationException(where + ": convolution mode " + mode + " is not supported (Truncate, Strict"
          + " or Same)");
    }
    if (kernel == null || stride == null || padding == null || kernel.length != 2 || stride.length != 2
        || padding.length != 2) {
      throw new ModelValidationException(where + ": kernel size, stride and padding must each have two values");
    }
    for (int k = 0; k < 2; k++) {
      if (kernel[k] < 1 || kernel[k] > ModelConfigs.MAX_KERNEL || stride[k] < 1 || stride[k] > ModelConfigs.MAX_KERNEL || padding[k] < 0
          || padding[k] > ModelConfigs.MAX_KERNEL) {
        throw new ModelValidationException(where + ": kernel " + kernel[0] + "×" + kernel[1] + ", stride " + stride[0]
            + "×" + stride[1] + ", padding " + padding[0] + "×" + padding[1] + " is outside 1.." + ModelConfigs.MAX_KERNEL
            + " (padding 0.." + ModelConfigs.MAX_KERNEL + ")");
      }
    }
  }
}
