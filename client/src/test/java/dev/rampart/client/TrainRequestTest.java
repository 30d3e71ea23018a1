package dev.rampart.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rampart.protocol.v1.JobSpec;
import dev.rampart.protocol.v1.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainRequestTest {
  static final String MODEL = "{\"confs\":[]}";
  static final String A = "a".repeat(64);
  static final String B = "0123456789abcdef".repeat(4);

  @TempDir Path dir;

  private static TrainRequest.Builder minimal() {
    return TrainRequest.builder().modelJson(MODEL).datasets(List.of(A)).noiseMultiplier(1.1);
  }

  @Test
  void minimal_appliesTheDocumentedDefaults() {
    JobSpec spec = minimal().build().toSpec();
    assertThat(spec.getModelJson()).isEqualTo(MODEL);
    assertThat(spec.getDatasetIdsList()).containsExactly(A);
    assertThat(spec.getEpochs()).isEqualTo(1.0);
    assertThat(spec.getSteps()).isZero();
    assertThat(spec.getBatchSize()).isEqualTo(256);
    assertThat(spec.getClipNorm()).isEqualTo(1.0);
    assertThat(spec.getNoiseMultiplier()).isEqualTo(1.1);
    assertThat(spec.getTargetEpsilon()).isZero();
    assertThat(spec.getOptimizer()).isEqualTo(Optimizer.SGD);
    assertThat(spec.getLearningRate()).isEqualTo(0.1);
    assertThat(spec.getSeed()).isEqualTo(42);
    // zero means "the licenses' delta" and "the coordinator's intervals" on the wire
    assertThat(spec.getDelta()).isZero();
    assertThat(spec.getMetricsEvery()).isZero();
    assertThat(spec.getCheckpointEvery()).isZero();
  }

  @Test
  void everySetting_reachesTheSpec() {
    JobSpec spec = TrainRequest.builder().modelJson(MODEL).datasets(List.of(A, B)).steps(500).batchSize(64)
        .clipNorm(0.5).targetEpsilon(3).delta(1e-6).optimizer("ADAM").learningRate(0.01).seed(7)
        .metricsEvery(25).checkpointEvery(10).build().toSpec();
    assertThat(spec.getDatasetIdsList()).containsExactly(A, B);
    assertThat(spec.getSteps()).isEqualTo(500);
    assertThat(spec.getEpochs()).isZero();
    assertThat(spec.getBatchSize()).isEqualTo(64);
    assertThat(spec.getClipNorm()).isEqualTo(0.5);
    assertThat(spec.getTargetEpsilon()).isEqualTo(3);
    assertThat(spec.getNoiseMultiplier()).isZero();
    assertThat(spec.getDelta()).isEqualTo(1e-6);
    assertThat(spec.getOptimizer()).isEqualTo(Optimizer.ADAM);
    assertThat(spec.getLearningRate()).isEqualTo(0.01);
    assertThat(spec.getSeed()).isEqualTo(7);
    assertThat(spec.getMetricsEvery()).isEqualTo(25);
    assertThat(spec.getCheckpointEvery()).isEqualTo(10);
  }

  @Test
  void adamWithoutLearningRate_defaultsTo0001() {
    assertThat(minimal().optimizer("adam").build().toSpec().getLearningRate()).isEqualTo(0.001);
  }

  @Test
  void epochs_areSentAsGiven() {
    assertThat(minimal().epochs(2.5).build().toSpec().getEpochs()).isEqualTo(2.5);
  }

  @Test
  void bothStepsAndEpochs_failsInBuild() {
    TrainRequest.Builder b = minimal().steps(10).epochs(2);
    assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("steps or epochs, not both");
  }

  @Test
  void bothNoiseAndTargetEpsilon_failsInBuild() {
    TrainRequest.Builder b = minimal().targetEpsilon(2);
    assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("noise multiplier or a target epsilon, not both");
  }

  @Test
  void neitherNoiseNorTargetEpsilon_failsInBuild() {
    TrainRequest.Builder b = TrainRequest.builder().modelJson(MODEL).datasets(List.of(A));
    assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("give a noise multiplier (sigma) or a target epsilon");
  }

  @Test
  void withoutModel_failsInBuild() {
    TrainRequest.Builder b = TrainRequest.builder().datasets(List.of(A)).noiseMultiplier(1);
    assertThatThrownBy(b::build).hasMessageContaining("no model");
  }

  @Test
  void withoutDatasets_failsInBuild() {
    TrainRequest.Builder b = TrainRequest.builder().modelJson(MODEL).noiseMultiplier(1);
    assertThatThrownBy(b::build).hasMessageContaining("no datasets");
  }

  @Test
  void nonPositiveOrNonFiniteNumbers_failInTheSetter() {
    TrainRequest.Builder b = TrainRequest.builder();
    assertThatThrownBy(() -> b.steps(0)).hasMessageContaining("steps must be at least 1, got 0");
    assertThatThrownBy(() -> b.epochs(-1)).hasMessageContaining("epochs must be a finite number > 0");
    assertThatThrownBy(() -> b.epochs(Double.NaN)).hasMessageContaining("epochs");
    assertThatThrownBy(() -> b.batchSize(0)).hasMessageContaining("batch size");
    assertThatThrownBy(() -> b.clipNorm(0)).hasMessageContaining("clip norm");
    assertThatThrownBy(() -> b.noiseMultiplier(Double.POSITIVE_INFINITY)).hasMessageContaining("noise multiplier");
    assertThatThrownBy(() -> b.targetEpsilon(0)).hasMessageContaining("target epsilon");
    assertThatThrownBy(() -> b.learningRate(-0.1)).hasMessageContaining("learning rate");
    assertThatThrownBy(() -> b.delta(0)).hasMessageContaining("delta must be in (0, 1)");
    assertThatThrownBy(() -> b.delta(1)).hasMessageContaining("delta");
    assertThatThrownBy(() -> b.metricsEvery(0)).hasMessageContaining("N >= 1");
    assertThatThrownBy(() -> b.checkpointEvery(-5)).hasMessageContaining("N >= 1");
  }

  @Test
  void unknownOptimizer_failsNamingTheChoices() {
    assertThatThrownBy(() -> TrainRequest.builder().optimizer("rmsprop"))
        .hasMessage("the optimizer is sgd or adam, got 'rmsprop'");
  }

  @Test
  void datasets_mustBeOneToSixteenFullLowerCaseHexIds() {
    TrainRequest.Builder b = TrainRequest.builder();
    assertThatThrownBy(() -> b.datasets(List.of())).hasMessageContaining("1 to 16 datasets, got 0");
    List<String> seventeen = java.util.stream.IntStream.range(0, 17)
        .mapToObj(i -> String.format("%064x", i)).toList();
    assertThatThrownBy(() -> b.datasets(seventeen)).hasMessageContaining("got 17");
    assertThatThrownBy(() -> b.datasets(List.of("3f2a9c01"))).hasMessageContaining("'3f2a9c01' is not a dataset id")
        .hasMessageContaining("resolveDatasetId");
    assertThatThrownBy(() -> b.datasets(List.of(A.toUpperCase()))).hasMessageContaining("is not a dataset id");
    assertThatThrownBy(() -> b.datasets(List.of(A, A))).hasMessageContaining("listed twice");
    assertThat(b.datasets(seventeen.subList(0, 16)).modelJson(MODEL)
        .noiseMultiplier(1).build().toSpec().getDatasetIdsCount()).isEqualTo(16);
  }

  @Test
  void modelJson_mustBeAJsonObjectOfAtMost256KiB() {
    assertThatThrownBy(() -> TrainRequest.builder().modelJson("mlp")).hasMessageContaining("does not start with '{'");
    String big = "{\"x\":\"" + "y".repeat(TrainRequest.MAX_MODEL_BYTES) + "\"}";
    assertThatThrownBy(() -> TrainRequest.builder().modelJson(big)).hasMessageContaining("at most 262144 (256 KiB)");
    assertThat(minimal().modelJson("  \n{}").build().toSpec().getModelJson()).isEqualTo("  \n{}");
  }

  @Test
  void model_readsTheFile() throws IOException {
    Path f = dir.resolve("mlp.json");
    Files.writeString(f, MODEL);
    assertThat(TrainRequest.builder().model(f).datasets(List.of(A)).noiseMultiplier(1).build().toSpec()
        .getModelJson()).isEqualTo(MODEL);
  }

  @Test
  void model_refusesMissingTooLargeOrNonJsonFiles() throws IOException {
    assertThatThrownBy(() -> TrainRequest.builder().model(dir.resolve("missing.json")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no model file at");
    Path big = dir.resolve("big.json");
    Files.write(big, new byte[TrainRequest.MAX_MODEL_BYTES + 1]);
    assertThatThrownBy(() -> TrainRequest.builder().model(big)).hasMessageContaining("262145 bytes")
        .hasMessageContaining("256 KiB");
    Path binary = dir.resolve("model.zip");
    Files.write(binary, new byte[] {'P', 'K', 3, 4, (byte) 0xff, (byte) 0xfe});
    assertThatThrownBy(() -> TrainRequest.builder().model(binary)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model.zip");
  }

  @Test
  void toString_leavesTheModelTextOut() {
    String model = "{\"secretLayerName\":1}";
    assertThat(minimal().modelJson(model).build().toString()).doesNotContain("secretLayerName")
        .contains("model_json=" + model.length() + " chars");
  }
}
