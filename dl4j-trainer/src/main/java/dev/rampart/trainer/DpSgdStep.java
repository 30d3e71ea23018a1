package dev.rampart.trainer;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One DP-SGD update of a DL4J network: the clipped gradient sum of a Poisson batch, plus Gaussian noise of
 * standard deviation σC on every coordinate, divided by the expected batch size qN, through the network's own
 * updater (SGD, Nesterov momentum, Adam …).
 *
 * <p>Why divide by qN and not by the batch's actual size: the actual size depends on which examples were
 * sampled, so dividing by it would make the update's scale depend on the data, outside the clipped-and-noised
 * sum the privacy analysis covers; qN is public (Abadi et al. 2016, and Opacus's "expected batch size").
 */
final class DpSgdStep implements AutoCloseable {
  /**
   * Scratch memory for one chunk's clipping (activations, errors, im2col rows, per-example kernels), reused from
   * chunk to chunk: without it, allocating (and the operating system zero-filling) fresh native memory for every
   * intermediate took more than half of a LeNet step. Nothing allocated in it outlives the chunk; a chunk larger
   * than any before spills, and the workspace grows to fit from the next chunk on. One per thread (ND4J keeps
   * workspaces per thread), so concurrent jobs never share it.
   */
  static final WorkspaceConfiguration SCRATCH = WorkspaceConfiguration.builder()
      .initialSize(0)
      .overallocationLimit(0.25)
      .policyAllocation(AllocationPolicy.OVERALLOCATE)
      .policyLearning(LearningPolicy.FIRST_LOOP)
      .policySpill(SpillPolicy.REALLOCATE)
      .build();
  static final String SCRATCH_ID = "RAMPART_DP_SCRATCH";

  private final MultiLayerNetwork net;
  private final PerExampleClipper clipping;
  /** Forked once more for every prefetcher, on this thread: no two threads ever share a stream. */
  private final CryptoRandom noiseRoot;
  private final Gradient gradient;
  private final int noiseSize;
  private NoisePrefetcher prefetcher;
  private double prefetchedStd = Double.NaN;
  /** The thread whose scratch workspace the last step used (ND4J keeps workspaces per thread). */
  private volatile Thread trainingThread;

  /** @param random the trainer's stream: the noise thread draws from its own fork of it */
  DpSgdStep(MultiLayerNetwork net, CryptoRandom random) throws ModelValidationException {
    this.net = net;
    this.clipping = PerExampleClipper.of(net);
    this.noiseRoot = random.fork();
    this.gradient = new DefaultGradient(net.getGradientsViewArray());
    for (int i = 0; i < net.getnLayers(); i++) {
      org.deeplearning4j.nn.conf.NeuralNetConfiguration conf = net.getLayerWiseConfigurations().getConf(i);
      java.util.Map<String, INDArray> views = conf.getLayer().initializer()
          .getGradientsFromFlattened(conf, net.getLayer(i).getGradientsViewArray());
      for (String param : List.of("W", "b")) {
        gradient.setGradientFor(i + "_" + param, views.get(param));
      }
    }
    this.noiseSize = Math.toIntExact(net.numParams());
  }

  /**
   * Applies one update from a batch (which may be empty).
   *
   * @param features [B, nIn], or null for an empty batch
   * @param labels one-hot [B, K], or null
   * @return the batch's per-example gradient norms (empty for an empty batch)
   */
  PerExampleClipper.Batch apply(INDArray features, INDArray labels, double clipNorm, double noiseMultiplier,
      double expectedBatchSize) {
    java.util.List<INDArray[]> one = new java.util.ArrayList<>();
    if (features != null && features.size(0) > 0) {
      one.add(new INDArray[] {features, labels});
    }
    return apply(one.iterator(), clipNorm, noiseMultiplier, expectedBatchSize);
  }

  /**
   * Applies one update from a batch given as chunks of (features, labels), processed one at a time so that
   * memory does not grow with the batch.
   */
  PerExampleClipper.Batch apply(java.util.Iterator<INDArray[]> chunks, double clipNorm, double noiseMultiplier,
      double expectedBatchSize) {
    trainingThread = Thread.currentThread();
    clipping.zeroGradient();
    double[] norms = new double[0];
    while (chunks.hasNext()) {
      INDArray[] xy = chunks.next();
      double[] more;
      try (MemoryWorkspace scratch = Nd4j.getWorkspaceManager().getAndActivateWorkspace(SCRATCH, SCRATCH_ID)) {
        more = clipping.addClippedSum(xy[0], xy[1], clipNorm).norms();
      }
      double[] all = java.util.Arrays.copyOf(norms, norms.length + more.length);
      System.arraycopy(more, 0, all, norms.length, more.length);
      norms = all;
    }
    PerExampleClipper.Batch batch = new PerExampleClipper.Batch(norms);
    INDArray view = net.getGradientsViewArray();
    double std = noiseMultiplier * clipNorm;
    if (prefetcher == null || prefetchedStd != std) {
      if (prefetcher != null) {
        prefetcher.close();
      }
      prefetcher = new NoisePrefetcher(new GaussianNoise(noiseRoot.fork(), true), noiseSize, std);
      prefetchedStd = std;
    }
    float[] noiseValues = prefetcher.take();
    try (MemoryWorkspace scratch = Nd4j.getWorkspaceManager().getAndActivateWorkspace(SCRATCH, SCRATCH_ID)) {
      view.addi(Nd4j.createFromArray(noiseValues).reshape(view.shape()).castTo(view.dataType()));
    }
    prefetcher.recycle(noiseValues);
    view.divi(expectedBatchSize);
    int iteration = net.getIterationCount();
    net.getUpdater().update(net, gradient, iteration, net.getEpochCount(), 1, LayerWorkspaceMgr.noWorkspaces());
    INDArray params = net.params();
    params.subi(view.reshape(params.shape()));
    net.setIterationCount(iteration + 1);
    return batch;
  }

  /**
   * Stops the background noise generator, and frees the scratch workspace when called on the thread that trained
   * (a coordinator's job thread outlives its jobs; another thread's workspace is not ours to touch).
   */
  @Override
  public void close() {
    if (prefetcher != null) {
      prefetcher.close();
    }
    if (Thread.currentThread() == trainingThread
        && Nd4j.getWorkspaceManager().checkIfWorkspaceExists(SCRATCH_ID)) {
      // through the manager: frees the memory and forgets the workspace, so a later step on this thread starts a
      // fresh one
      Nd4j.getWorkspaceManager().destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(SCRATCH_ID));
    }
  }

  PerExampleClipper clipping() {
    return clipping;
  }
}
