package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

/**
 * Max or average pooling: no parameters, so nothing to clip; its backward pass (DL4J's) carries each example's
 * error to its own input only. It may not end the network.
 */
final class SubsamplingRule implements LayerRule {
  @Override
  public void problems(Layer layer, String where, boolean last, List<String> problems) {
    SubsamplingLayer s = (SubsamplingLayer) layer;
    LayerRule.notLast(where, last, problems);
    if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
      problems.add(where + ": only MAX and AVG pooling are supported");
    }
  }

  @Override
  public LayerClipper clipper(MultiLayerNetwork net, int index) {
    return new Clipper(net.getLayer(index));
  }

  /** Pooling through DL4J's own layer: nothing to clip, its backward pass only carries the error down. */
  private static final class Clipper implements LayerClipper {
    private final org.deeplearning4j.nn.api.Layer layer;
    private final LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

    private record Forward(INDArray input, INDArray output) implements LayerClipper.Forward {}

    private record Backward(INDArray inputError) implements LayerClipper.Backward {}

    Clipper(org.deeplearning4j.nn.api.Layer layer) {
      this.layer = layer;
    }

    @Override
    public LayerClipper.Forward forward(INDArray input) {
      return new Forward(input, layer.activate(input, true, ws));
    }

    @Override
    public LayerClipper.Backward backward(LayerClipper.Forward forward, INDArray error, boolean needInputError,
        double[] squared, boolean[] outOfRange) {
      INDArray input = ((Forward) forward).input();
      layer.setInput(input, ws);
      layer.setInputMiniBatchSize((int) input.size(0));
      INDArray below = layer.backpropGradient(error, ws).getSecond();
      layer.clear(); // its input lives in the step's scratch workspace: no reference may outlive the chunk
      return new Backward(below);
    }

    @Override
    public void addClipped(LayerClipper.Backward backward, INDArray factors, int[] excluded) {}
  }
}
