package dev.rampart.trainer;

import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * A plain 2D convolution: its per-example kernel gradient is one product of the output error with the im2col
 * columns (DL4J's layout, NCHW, undilated), small because kernels are; it needs its bias and may not end the
 * network.
 */
final class ConvolutionRule implements LayerRule {
  @Override
  public void problems(Layer layer, String where, boolean last, List<String> problems) {
    ConvolutionLayer c = (ConvolutionLayer) layer;
    LayerRule.notLast(where, last, problems);
    if (c.getDilation()[0] != 1 || c.getDilation()[1] != 1 || c.getCnn2dDataFormat() != CNN2DFormat.NCHW
        || !c.hasBias()) {
      problems.add(where + ": convolutions must be NCHW, undilated, with a bias");
    }
    LayerRule.noDropout(layer, where, problems);
    LayerRule.width(layer, where, problems);
    LayerRule.hiddenActivation(layer, where, problems);
  }

  @Override
  public LayerClipper clipper(MultiLayerNetwork net, int index) {
    return new Clipper(LayerRule.Params.of(net, index),
        (ConvolutionLayer) net.getLayerWiseConfigurations().getConf(index).getLayer());
  }

  /**
   * A convolution's clipping. The forward pass keeps the im2col rows (DL4J's layout, computed once) and the
   * pre-activations; the backward pass computes the per-example kernel gradients as one batched product of the
   * output errors with the im2col columns ({@code [B, Cout, P] × [B, P, K]}; kernels are small, so these are too),
   * their norms exactly, and folds the input error back with col2im, as DL4J does.
   */
  private static final class Clipper implements LayerClipper {
    private final LayerRule.Params p;
    private final ConvolutionLayer conf;

    private record Forward(INDArray input, INDArray rows, INDArray preActivation, INDArray output, long outH,
        long outW) implements LayerClipper.Forward {}

    private record Backward(INDArray kernel, INDArray bias, INDArray inputError) implements LayerClipper.Backward {}

    Clipper(LayerRule.Params p, ConvolutionLayer conf) {
      this.p = p;
      this.conf = conf;
    }

    @Override
    public LayerClipper.Forward forward(INDArray input) {
      int[] k = conf.getKernelSize();
      int[] s = conf.getStride();
      int[] pad = conf.getPadding();
      long batch = input.size(0);
      long cOut = p.weights().size(0);
      long kSize = p.weights().length() / cOut;
      long inH = input.size(2);
      long inW = input.size(3);
      long outH;
      long outW;
      if (conf.getConvolutionMode() == ConvolutionMode.Same) {
        outH = (inH + s[0] - 1) / s[0];
        outW = (inW + s[1] - 1) / s[1];
      } else {
        outH = (inH - k[0] + 2L * pad[0]) / s[0] + 1;
        outW = (inW - k[1] + 2L * pad[1]) / s[1] + 1;
      }
      long inDepth = input.size(1);
      // DL4J's im2col layout [B, outH, outW, C, kH, kW]: rows (example, position), columns (channel, ky, kx)
      INDArray col = Nd4j.createUninitialized(input.dataType(), new long[] {batch, outH, outW, inDepth, k[0], k[1]},
          'c');
      Convolution.im2col(input.dup('c'), k[0], k[1], s[0], s[1], pad[0], pad[1], 1, 1,
          conf.getConvolutionMode() == ConvolutionMode.Same, col.permute(0, 3, 4, 5, 1, 2));
      INDArray rows = col.reshape('c', batch * outH * outW, kSize);
      INDArray w = p.weights().reshape('c', cOut, kSize);
      INDArray z = PerExampleClipper.product(rows, false, w, true).reshape('c', batch, outH * outW, cOut)
          .permute(0, 2, 1).dup('c');
      z.addi(p.bias().reshape(1, cOut, 1).broadcast(batch, cOut, outH * outW));
      INDArray a = conf.getActivationFn().getActivation(z.dup(), true).reshape('c', batch, cOut, outH, outW);
      return new Forward(input, rows, z, a, outH, outW);
    }

    @Override
    public LayerClipper.Backward backward(LayerClipper.Forward forward, INDArray error, boolean needInputError,
        double[] squared, boolean[] outOfRange) {
      Forward f = (Forward) forward;
      INDArray input = f.input();
      long batch = input.size(0);
      long cOut = p.weights().size(0);
      long kSize = p.weights().length() / cOut;
      long positions = f.outH() * f.outW();
      INDArray cols = f.rows().reshape('c', batch, positions, kSize); // per example: [P, K]
      INDArray eps = error.dup('c').reshape('c', batch, cOut, positions);
      INDArray delta = conf.getActivationFn().backprop(f.preActivation().dup(), eps).getFirst(); // [B, Cout, P]
      INDArray kernel = Nd4j.matmul(delta, cols); // per-example kernel gradients [B, Cout, K]
      INDArray biasPerExample = delta.sum(2); // [B, Cout]
      INDArray kd = kernel.castTo(DataType.DOUBLE);
      INDArray bd = biasPerExample.castTo(DataType.DOUBLE);
      double[] kernelNorms = kd.mul(kd).sum(1, 2).toDoubleVector();
      double[] biasNorms = bd.mul(bd).sum(1).toDoubleVector();
      for (int e = 0; e < batch; e++) {
        squared[e] += kernelNorms[e] + biasNorms[e];
        outOfRange[e] |= !(kernelNorms[e] <= PerExampleClipper.MAX_SQUARED_NORM
            && biasNorms[e] <= PerExampleClipper.MAX_SQUARED_NORM);
      }
      if (!needInputError) {
        return new Backward(kernel, biasPerExample, null); // nothing below the first layer needs its input error
      }
      // the error at the input: columns of Wᵀ δ, folded back onto the image (col2im), as DL4J does
      int[] k = conf.getKernelSize();
      int[] s = conf.getStride();
      int[] pad = conf.getPadding();
      INDArray w = p.weights().reshape('c', cOut, kSize);
      INDArray deltaRows = delta.permute(0, 2, 1).dup('c').reshape('c', batch * positions, cOut);
      INDArray epsCols = PerExampleClipper.product(deltaRows, false, w, false)
          .reshape('c', batch, f.outH(), f.outW(), input.size(1), k[0], k[1]).permute(0, 3, 4, 5, 1, 2);
      INDArray below = Nd4j.create(input.dataType(), input.shape(), 'c');
      Convolution.col2im(epsCols, below, s[0], s[1], pad[0], pad[1], (int) input.size(2), (int) input.size(3), 1, 1);
      return new Backward(kernel, biasPerExample, below);
    }

    @Override
    public void addClipped(LayerClipper.Backward backward, INDArray factors, int[] excluded) {
      Backward b = (Backward) backward;
      long batch = b.kernel().size(0);
      if (excluded.length > 0) {
        // a non-finite example contributes exactly zero: its factor 0 alone would give 0 × Inf = NaN in the sums
        PerExampleClipper.zeroRows(b.kernel(), excluded);
        PerExampleClipper.zeroRows(b.bias(), excluded);
      }
      INDArray kernelSum = b.kernel().mul(factors.reshape(batch, 1, 1).broadcast(b.kernel().shape())).sum(0);
      p.weightGradient().addi(kernelSum.reshape('c', p.weightGradient().shape()));
      INDArray biasSum = b.bias().mulColumnVector(factors.reshape(batch, 1)).sum(0);
      p.biasGradient().addi(biasSum.reshape(p.biasGradient().shape()));
    }
  }
}
