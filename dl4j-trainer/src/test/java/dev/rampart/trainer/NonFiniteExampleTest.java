package dev.rampart.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rampart.accountant.PrivacyBudget;
import dev.rampart.accountant.PrivacyLedger;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInitConstant;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The red team's attack on DP through NaN (issue 12, item 1): a scientist's model with a huge constant weight init
 * makes one outlier example's activations overflow. Its clip factor was 0, but 0 × Inf = NaN reached every
 * coordinate of the update and the released loss, so one row was detected with certainty. Reproduced here with the
 * red team's Fashion-MNIST rows: [32912, 33012) against [32912, 33011), differing only in row 33011, the
 * brightest.
 */
class NonFiniteExampleTest {
  static final int FROM = 32_912;
  static final int OUTLIER = 33_011;
  static LabeledExamples all;
  static LabeledExamples withRow;
  static LabeledExamples withoutRow;

  @BeforeAll
  static void load() throws Exception {
    all = IdxReader.read(IdxReaderTest.FASHION, "train", 10);
    withRow = rows(FROM, OUTLIER + 1);
    withoutRow = rows(FROM, OUTLIER);
  }

  static LabeledExamples rows(int from, int to) {
    int f = all.features();
    float[] x = new float[(to - from) * f];
    int[] y = new int[to - from];
    for (int i = from; i < to; i++) {
      all.copyPixels(i, x, (i - from) * f);
      y[i - from] = all.label(i);
    }
    return LabeledExamples.of(to - from, f, x, y, 10);
  }

  static double pixelSum(LabeledExamples data, int i) {
    float[] x = new float[data.features()];
    data.copyPixels(i, x, 0);
    double s = 0;
    for (float v : x) {
      s += v;
    }
    return s;
  }

  /**
   * A first-layer constant between what overflows float for the outlier's pixel sum and what does not for any
   * other row: the geometric mean of the two thresholds.
   */
  static double overflowingConstant() {
    double brightest = pixelSum(withRow, withRow.count() - 1);
    double second = 0;
    for (int i = 0; i < withoutRow.count(); i++) {
      second = Math.max(second, pixelSum(withoutRow, i));
    }
    assertThat(brightest).as("row 33011 is the brightest of the range").isGreaterThan(second * 1.001);
    return Float.MAX_VALUE / Math.sqrt(brightest * second);
  }

  /** The attack model: 784-16-10, ReLU, first layer a huge constant, output layer a tiny one (finite logits). */
  static MultiLayerNetwork attackMlp() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.1))
        .dataType(DataType.FLOAT)
        .list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU)
            .weightInit(new WeightInitConstant(overflowingConstant())).biasInit(0).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(10)
            .activation(Activation.SOFTMAX).weightInit(new WeightInitConstant(1e-36)).build())
        .build());
    net.init();
    return net;
  }

  /** The same attack on the convolutional clipper: one 28×28 kernel sees the whole image. */
  static MultiLayerNetwork attackCnn() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.1))
        .dataType(DataType.FLOAT)
        .list()
        .layer(new ConvolutionLayer.Builder(28, 28).nOut(2).activation(Activation.RELU)
            .weightInit(new WeightInitConstant(overflowingConstant())).biasInit(0).build())
        .layer(new DenseLayer.Builder().nOut(4).activation(Activation.RELU).weightInit(new WeightInitConstant(1e-36))
            .build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
            .weightInit(WeightInit.XAVIER).build())
        .setInputType(InputType.convolutionalFlat(28, 28, 1))
        .build());
    net.init();
    return net;
  }

  static INDArray gradientOf(PerExampleClipper clipper, MultiLayerNetwork net, LabeledExamples data) {
    int[] idx = new int[data.count()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    INDArray[] xy = DpSgdTrainer.tensors(data, idx);
    clipper.zeroGradient();
    clipper.addClippedSum(xy[0], xy[1], 1.0);
    return net.getGradientsViewArray().dup();
  }

  static boolean finite(INDArray a) {
    return Double.isFinite(a.castTo(DataType.DOUBLE).sumNumber().doubleValue())
        && Double.isFinite(a.castTo(DataType.DOUBLE).norm2Number().doubleValue());
  }

  @Test
  void theOutlierOverflows_andContributesExactlyZero_toTheClippedSum() throws Exception {
    for (MultiLayerNetwork net : List.of(attackMlp(), attackCnn())) {
      INDArray[] one = DpSgdTrainer.tensors(withRow, new int[] {withRow.count() - 1});
      assertThat(finite(net.output(one[0], false))).as("the attack works: the outlier's output overflows").isFalse();
      PerExampleClipper clipper = PerExampleClipper.of(net);
      INDArray with = gradientOf(clipper, net, withRow);
      INDArray without = gradientOf(clipper, net, withoutRow);
      assertThat(finite(with)).as(clipper.getClass().getSimpleName() + ": the clipped sum with the outlier is finite")
          .isTrue();
      double difference = with.sub(without).norm2Number().doubleValue();
      assertThat(difference).as(clipper.getClass().getSimpleName() + ": the outlier adds nothing")
          .isLessThanOrEqualTo(1e-6 * (1 + without.norm2Number().doubleValue()));
    }
  }

  @Test
  void redTeamReproduction_oneStepAtSigma10_releasesFiniteMetrics_withAndWithoutTheRow() throws Exception {
    for (LabeledExamples data : List.of(withRow, withoutRow)) {
      for (int run = 0; run < 3; run++) {
        MultiLayerNetwork net = attackMlp();
        PrivacyLedger ledger = new PrivacyLedger();
        ledger.open("d", new PrivacyBudget(1e6, 1e-5));
        DpSgdTrainer trainer = new DpSgdTrainer(net, data, ledger, List.of("d"),
            new DpSgdTrainer.Settings(1.0, 10.0, 1.0), CryptoRandom.seededForTestsOnly(100 + run));
        trainer.step();
        PrivateMetrics metrics = trainer.privateMetrics();
        trainer.close();
        String what = (data == withRow ? "with" : "without") + " row 33011, run " + run;
        assertThat(finite(net.params())).as(what + ": the weights after one step").isTrue();
        assertThat(metrics.finite()).as(what + ": the released loss and accuracy " + metrics).isTrue();
      }
    }
  }

  @Test
  void crafted_infiniteOrNaN_featureRows_contributeExactlyZero_inBothClippers() throws Exception {
    MultiLayerNetwork dense = GhostClippingTest.net(Activation.TANH);
    MultiLayerNetwork conv = LayerwiseClippingTest.cnn(Activation.RELU,
        org.deeplearning4j.nn.conf.layers.PoolingType.MAX);
    for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NaN, -1e300}) {
      for (MultiLayerNetwork net : List.of(dense, conv)) {
        INDArray[] b = net == dense ? GhostClippingTest.batch(12, 5) : LayerwiseClippingTest.batch(12, 5);
        INDArray x = b[0].dup();
        x.getRow(7).assign(bad); // -1e300 is finite, but far beyond PerExampleClipper.MAX_SQUARED_NORM
        PerExampleClipper clipper = PerExampleClipper.of(net);
        clipper.zeroGradient();
        clipper.addClippedSum(x, b[1], 1.0);
        INDArray with = net.getGradientsViewArray().dup();
        int[] rest = new int[11];
        for (int i = 0, k = 0; i < 12; i++) {
          if (i != 7) {
            rest[k++] = i;
          }
        }
        clipper.zeroGradient();
        clipper.addClippedSum(x.getRows(rest), b[1].getRows(rest), 1.0);
        INDArray without = net.getGradientsViewArray().dup();
        assertThat(finite(with)).as(bad + " in " + clipper.getClass().getSimpleName()).isTrue();
        double difference = with.sub(without).norm2Number().doubleValue();
        if (Double.isFinite(bad)) {
          // finite: the huge values may all meet exact zeros (a dead ReLU), leaving an ordinary, clipped gradient
          assertThat(difference).as(bad + " moves the sum by at most C").isLessThanOrEqualTo(1.0 + 1e-9);
        } else {
          assertThat(difference).as(bad + " adds nothing").isLessThan(1e-12);
        }
      }
    }
  }

  /** A random MLP on 784 inputs: 1-3 hidden layers of 2-31 units, random activations and weight scales. */
  static MultiLayerNetwork randomMlp(Random r, int seed, int minExponent, int maxExponent) {
    Activation[] acts = {Activation.RELU, Activation.TANH, Activation.SIGMOID, Activation.IDENTITY};
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed).updater(new Sgd(0.1))
        .dataType(DataType.FLOAT).list();
    int in = 784;
    int hidden = 1 + r.nextInt(3);
    for (int l = 0; l < hidden; l++) {
      int width = 2 + r.nextInt(30);
      double scale = Math.pow(10, minExponent + r.nextInt(maxExponent - minExponent + 1)) * (r.nextBoolean() ? 1 : -1);
      b.layer(new DenseLayer.Builder().nIn(in).nOut(width).activation(acts[r.nextInt(acts.length)])
          .weightInit(r.nextBoolean() ? new WeightInitConstant(scale)
              : new org.deeplearning4j.nn.weights.WeightInitDistribution(
                  new org.deeplearning4j.nn.conf.distribution.NormalDistribution(0, Math.abs(scale) / 4)))
          .build());
      in = width;
    }
    double outScale = Math.pow(10, minExponent + r.nextInt(maxExponent - minExponent + 1));
    b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(in).nOut(10)
        .activation(Activation.SOFTMAX).weightInit(new WeightInitConstant(outScale)).build());
    MultiLayerNetwork net = new MultiLayerNetwork(b.build());
    net.init();
    return net;
  }

  static INDArray clippedSum(MultiLayerNetwork net, LabeledExamples data, int[] rows, double clip) throws Exception {
    PerExampleClipper clipper = PerExampleClipper.of(net);
    INDArray[] xy = DpSgdTrainer.tensors(data, rows);
    clipper.zeroGradient();
    clipper.addClippedSum(xy[0], xy[1], clip);
    return net.getGradientsViewArray().castTo(DataType.DOUBLE);
  }

  static int[] range(int n) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    return idx;
  }

  /**
   * Hostile models (weight scales from 1 to 1e38, beyond what the validator accepts): nothing released is ever NaN
   * or infinite, with or without the brightest row, and the row's own clipped contribution is at most C (zero when
   * it overflows).
   */
  @Test
  void hostileModels_neverReleaseNaN_andTheOutliersOwnContributionIsAtMostC() throws Exception {
    Random r = new Random(12);
    double clip = 0.5;
    for (int trial = 0; trial < 16; trial++) {
      MultiLayerNetwork net = randomMlp(r, trial, 0, 38);
      INDArray with = clippedSum(net, withRow, range(withRow.count()), clip);
      INDArray without = clippedSum(net, withoutRow, range(withoutRow.count()), clip);
      INDArray alone = clippedSum(net, withRow, new int[] {withRow.count() - 1}, clip);
      assertThat(finite(with) && finite(without) && finite(alone)).as("trial " + trial + ": finite sums").isTrue();
      assertThat(alone.norm2Number().doubleValue()).as("trial " + trial + ": the outlier's own contribution")
          .isLessThanOrEqualTo(clip * (1 + 1e-5));
      for (LabeledExamples data : List.of(withRow, withoutRow)) {
        PrivacyLedger ledger = new PrivacyLedger();
        ledger.open("d", new PrivacyBudget(1e6, 1e-5));
        DpSgdTrainer trainer = new DpSgdTrainer(net.clone(), data, ledger, List.of("d"),
            new DpSgdTrainer.Settings(1.0, 1.0, clip), CryptoRandom.seededForTestsOnly(trial));
        trainer.step();
        PrivateMetrics metrics = trainer.privateMetrics();
        trainer.close();
        assertThat(metrics.finite()).as("trial " + trial + ": metrics " + metrics).isTrue();
      }
    }
  }

  /**
   * The sensitivity the DP analysis rests on, over random models the validator accepts (initial weights within
   * ModelConfigs.MAX_INITIAL_WEIGHT): with and without the brightest row, the clipped sums differ by at most C in L2.
   * Beyond that bound it can fail through floating point alone (see docs/dp-sgd.md): a model that amplifies rounding
   * errors by 1e30 makes every example's computed gradient depend on the batch's size, through the order in which
   * the BLAS sums; the validator's bound is what keeps such models out.
   */
  @Test
  void acceptedModels_oneRowMovesTheClippedSumByAtMostC() throws Exception {
    Random r = new Random(13);
    double clip = 0.5;
    for (int trial = 0; trial < 24; trial++) {
      MultiLayerNetwork net = randomMlp(r, trial, -3, 2);
      ModelConfigs.checkInitialWeights(net);
      INDArray with = clippedSum(net, withRow, range(withRow.count()), clip);
      INDArray without = clippedSum(net, withoutRow, range(withoutRow.count()), clip);
      assertThat(finite(with) && finite(without)).as("trial " + trial + ": finite sums").isTrue();
      assertThat(with.sub(without).norm2Number().doubleValue())
          .as("trial " + trial + ": one row moves the clipped sum by at most C").isLessThanOrEqualTo(clip * 1.001);
    }
  }

  @Test
  void perExampleLoss_isClampedToItsBound_afterAFinitenessCheck() {
    double bound = DpSgdTrainer.LOSS_CLIP;
    for (double p : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -1, 1e-300}) {
      assertThat(DpSgdTrainer.clippedLoss(p)).as("p = " + p).isEqualTo(bound);
    }
    assertThat(DpSgdTrainer.clippedLoss(1.0000001)).isZero(); // rounding above 1 never gives a negative loss
    assertThat(DpSgdTrainer.clippedLoss(0.5)).isEqualTo(Math.log(2));
  }

  @Test
  void outputsThatOverflow_countAsWrong_whereverArgmaxPutsTheNaN() {
    INDArray out = Nd4j.createFromArray(new float[][] {{Float.NaN, 0.5f, 0.5f}, {0.1f, 0.8f, 0.1f},
        {Float.POSITIVE_INFINITY, 0, 0}});
    assertThat(DpEvaluation.finiteRows(out)).containsExactly(false, true, false);
  }

  @Test
  void theValidator_refusesHugeInitialWeights_namingTheLayer() throws Exception {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU)
            .weightInit(new WeightInitConstant(1e30)).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(10)
            .activation(Activation.SOFTMAX).build())
        .build();
    ModelValidationException e = catchThrowableOfType(ModelValidationException.class,
        () -> ModelConfigs.build(ModelConfigs.parse(conf.toJson()), 784, 10, new Sgd(0.1), 1));
    assertThat(e).hasMessageContaining("layer 0's initial weights").hasMessageContaining("limit is 100");
    MultiLayerConfiguration bias = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU).biasInit(1e9).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(10)
            .activation(Activation.SOFTMAX).build())
        .build();
    assertThat(catchThrowableOfType(ModelValidationException.class,
        () -> ModelConfigs.build(ModelConfigs.parse(bias.toJson()), 784, 10, new Sgd(0.1), 1)))
        .hasMessageContaining("layer 0's initial biases");
    // the standard models still pass
    ModelConfigs.build(Models.mlp(784, 32, 10, new Sgd(0.1), 1).getLayerWiseConfigurations(), 784, 10,
        new Sgd(0.1), 1);
    ModelConfigs.build(Models.lenet(28, 28, 10, new Sgd(0.1), 1).getLayerWiseConfigurations(), 784, 10,
        new Sgd(0.1), 1);
  }
}
