package dev.rampart.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-example clipping for networks with convolutional layers (LeNet-style: Convolution, Subsampling,
 * Dense, Output). One forward pass of its own keeps each layer's input, pre-activation and, for convolutions,
 * the im2col rows (DL4J's layout, computed once); the backward pass folds input errors back with col2im and
 * lets DL4J carry them through pooling and preprocessors. Per-example gradient norms: dense layers by the
 * ghost-norm identity, convolutions from per-example kernel gradients, one batched matrix product of the
 * output errors with the im2col columns ({@code [B, Cout, P] × [B, P, K]}) — kernels are small, so the
 * per-example gradients are too. Then the clipped sum, as {@link GhostClipping}.
 */
final class LayerwiseClipping implements PerExampleClipper {
  private final MultiLayerNetwork net;
  private final List<Params> params = new ArrayList<>();

  private record Params(int layer, INDArray weights, INDArray bias, INDArray weightGradient,
      INDArray biasGradient) {}

  /** What a convolution's forward pass leaves for its backward pass. */
  private record ConvForward(INDArray rows, long outH, long outW, long inDepth, int[] kernel, int[] stride,
      int[] padding) {}

  /** A layer's per-example pieces, kept between norms and the clipped sum. */
  private record Pieces(Params p, INDArray input, INDArray delta, INDArray perExampleKernel,
      INDArray perExampleBias) {}

  LayerwiseClipping(MultiLayerNetwork net) throws ModelValidationException {
    ModelValidator.requireValid(net);
    this.net = net;
    if (net.getGradientsViewArray() == null) {
      net.initGradientsView();
    }
    for (int i = 0; i < net.getnLayers(); i++) {
      NeuralNetConfiguration conf = net.getLayerWiseConfigurations().getConf(i);
      if (!(conf.getLayer() instanceof BaseLayer layerConf)) {
        continue;
      }
      Layer layer = net.getLayer(i);
      Map<String, INDArray> grads = layerConf.initializer().getGradientsFromFlattened(conf, layer.getGradientsViewArray());
      params.add(new Params(i, layer.getParam("W"), layer.getParam("b"), grads.get("W"), grads.get("b")));
    }
  }

  @Override
  public void zeroGradient() {
    net.getGradientsViewArray().assign(0);
  }

  @Override
  public GhostClipping.Batch addClippedSum(INDArray features, INDArray labels, double clipNorm) {
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    int n = net.getnLayers();
    int batch = (int) features.size(0);
    // our own forward pass, keeping what the backward pass needs: each layer's input (after its
    // preprocessor), and for convolutions the im2col rows and pre-activations, computed once
    INDArray[] inputs = new INDArray[n];
    INDArray[] preActivations = new INDArray[n];
    ConvForward[] convs = new ConvForward[n];
    INDArray a = features;
    for (int i = 0; i < n; i++) {
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      INDArray input = pre == null ? a : pre.preProcess(a, batch, ws);
      inputs[i] = input;
      org.deeplearning4j.nn.conf.layers.Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
      Layer layer = net.getLayer(i);
      if (conf instanceof ConvolutionLayer c) {
        Params p = paramsOf(i);
        int[] k = c.getKernelSize();
        int[] s = c.getStride();
        int[] pad = c.getPadding();
        long cOut = p.weights.size(0);
        long kSize = p.weights.length() / cOut;
        long inH = input.size(2);
        long inW = input.size(3);
        long outH;
        long outW;
        if (c.getConvolutionMode() == ConvolutionMode.Same) {
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
            c.getConvolutionMode() == ConvolutionMode.Same, col.permute(0, 3, 4, 5, 1, 2));
        INDArray rows = col.reshape('c', (long) batch * outH * outW, kSize);
        convs[i] = new ConvForward(rows, outH, outW, inDepth, k, s, pad);
        INDArray w = p.weights.reshape('c', cOut, kSize);
        INDArray z = GhostClipping.product(rows, false, w, true).reshape('c', batch, outH * outW, cOut).permute(0, 2, 1).dup('c');
        z.addi(p.bias.reshape(1, cOut, 1).broadcast(batch, cOut, outH * outW));
        preActivations[i] = z;
        a = c.getActivationFn().getActivation(z.dup(), true).reshape('c', batch, cOut, outH, outW);
      } else if (conf instanceof SubsamplingLayer) {
        a = layer.activate(input, true, ws); // keeps its input for backpropGradient
      } else {
        Params p = paramsOf(i);
        INDArray z = GhostClipping.product(input, false, p.weights, false).addiRowVector(p.bias);
        preActivations[i] = z;
        a = ((BaseLayer) conf).getActivationFn().getActivation(z.dup(), true);
      }
    }
    INDArray probabilities = a;
    double[] squared = new double[batch];
    boolean[] outOfRange = new boolean[batch];
    List<Pieces> pieces = new ArrayList<>();
    INDArray epsilon = null;
    for (int i = n - 1; i >= 0; i--) {
      org.deeplearning4j.nn.conf.layers.Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
      INDArray input = inputs[i];
      INDArray below;
      if (conf instanceof OutputLayer) {
        Params p = paramsOf(i);
        INDArray delta = probabilities.sub(labels); // softmax + cross-entropy
        addDenseNorms(input, delta, squared, outOfRange);
        pieces.add(new Pieces(p, input, delta, null, null));
        below = GhostClipping.product(delta, false, p.weights, true);
      } else if (conf instanceof DenseLayer d) {
        Params p = paramsOf(i);
        INDArray delta = d.getActivationFn().backprop(preActivations[i].dup(), epsilon).getFirst();
        addDenseNorms(input, delta, squared, outOfRange);
        pieces.add(new Pieces(p, input, delta, null, null));
        below = GhostClipping.product(delta, false, p.weights, true);
      } else if (conf instanceof ConvolutionLayer c) {
        Params p = paramsOf(i);
        ConvForward f = convs[i];
        long cOut = p.weights.size(0);
        long kSize = p.weights.length() / cOut;
        long positions = f.outH() * f.outW();
        INDArray rows = f.rows(); // [B·P, K]
        INDArray cols = rows.reshape('c', batch, positions, kSize); // per example: [P, K]
        INDArray eps = epsilon.dup('c').reshape('c', batch, cOut, positions);
        INDArray delta = c.getActivationFn().backprop(preActivations[i].dup(), eps).getFirst(); // [B, Cout, P]
        INDArray kernel = Nd4j.matmul(delta, cols); // per-example kernel gradients [B, Cout, K]
        INDArray biasPerExample = delta.sum(2); // [B, Cout]
        INDArray kd = kernel.castTo(DataType.DOUBLE);
        INDArray bd = biasPerExample.castTo(DataType.DOUBLE);
        double[] kernelNorms = kd.mul(kd).sum(1, 2).toDoubleVector();
        double[] biasNorms = bd.mul(bd).sum(1).toDoubleVector();
        for (int e = 0; e < batch; e++) {
          squared[e] += kernelNorms[e] + biasNorms[e];
          outOfRange[e] |= !(kernelNorms[e] <= GhostClipping.MAX_SQUARED_NORM
              && biasNorms[e] <= GhostClipping.MAX_SQUARED_NORM);
        }
        pieces.add(new Pieces(p, input, delta, kernel, biasPerExample));
        if (i == 0) {
          break; // nothing below the first layer needs its input error
        }
        // the error at the input: columns of Wᵀ δ, folded back onto the image (col2im), as DL4J does
        INDArray w = p.weights.reshape('c', cOut, kSize);
        INDArray deltaRows = delta.permute(0, 2, 1).dup('c').reshape('c', (long) batch * positions, cOut);
        INDArray epsCols = GhostClipping.product(deltaRows, false, w, false)
            .reshape('c', batch, f.outH(), f.outW(), f.inDepth(), f.kernel()[0], f.kernel()[1])
            .permute(0, 3, 4, 5, 1, 2);
        below = Nd4j.create(input.dataType(), input.shape(), 'c');
        Convolution.col2im(epsCols, below, f.stride()[0], f.stride()[1], f.padding()[0], f.padding()[1],
            (int) input.size(2), (int) input.size(3), 1, 1);
      } else if (conf instanceof SubsamplingLayer) {
        Layer layer = net.getLayer(i);
        layer.setInput(input, ws);
        layer.setInputMiniBatchSize(batch);
        below = layer.backpropGradient(epsilon, ws).getSecond();
        layer.clear(); // its input lives in the step's scratch workspace: no reference may outlive the chunk
      } else {
        throw new IllegalStateException("layer " + i + " passed validation but is not handled: " + conf);
      }
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      epsilon = pre == null ? below : pre.backprop(below, batch, ws);
    }
    double[] norms = new double[batch];
    float[] factors = GhostClipping.clipFactors(squared, outOfRange, clipNorm, norms);
    int[] excluded = GhostClipping.excluded(factors);
    INDArray c = Nd4j.createFromArray(factors).castTo(features.dataType());
    for (Pieces piece : pieces) {
      Params p = piece.p;
      INDArray input = piece.input;
      if (excluded.length > 0) {
        // a non-finite example contributes exactly zero: its factor 0 alone would give 0 × Inf = NaN in the sums
        if (piece.perExampleKernel == null) {
          input = GhostClipping.zeroRows(input.dup(), excluded); // a copy: the input may be the caller's
          GhostClipping.zeroRows(piece.delta, excluded);
        } else {
          GhostClipping.zeroRows(piece.perExampleKernel, excluded);
          GhostClipping.zeroRows(piece.perExampleBias, excluded);
        }
      }
      if (piece.perExampleKernel == null) {
        INDArray scaled = piece.delta.mulColumnVector(c.reshape(batch, 1));
        Nd4j.gemm(input, scaled, p.weightGradient, true, false, 1.0, 1.0);
        p.biasGradient.addi(scaled.sum(true, 0).reshape(p.biasGradient.shape()));
      } else {
        long cOut = piece.perExampleKernel.size(1);
        INDArray kernelSum = piece.perExampleKernel.mul(c.reshape(batch, 1, 1).broadcast(piece.perExampleKernel.shape()))
            .sum(0);
        p.weightGradient.addi(kernelSum.reshape('c', p.weightGradient.shape()));
        INDArray biasSum = piece.perExampleBias.mulColumnVector(c.reshape(batch, 1)).sum(0);
        p.biasGradient.addi(biasSum.reshape(p.biasGradient.shape()));
      }
    }
    return new GhostClipping.Batch(norms);
  }

  private static void addDenseNorms(INDArray input, INDArray delta, double[] squared, boolean[] outOfRange) {
    INDArray a = input.castTo(DataType.DOUBLE);
    INDArray d = delta.castTo(DataType.DOUBLE);
    double[] an = a.mul(a).sum(1).toDoubleVector();
    double[] dn = d.mul(d).sum(1).toDoubleVector();
    for (int e = 0; e < squared.length; e++) {
      squared[e] += (an[e] + 1.0) * dn[e];
      outOfRange[e] |= !(an[e] <= GhostClipping.MAX_SQUARED_NORM && dn[e] <= GhostClipping.MAX_SQUARED_NORM);
    }
  }

  private Params paramsOf(int layer) {
    for (Params p : params) {
      if (p.layer == layer) {
        return p;
      }
    }
    throw new IllegalStateException("no parameters for layer " + layer);
  }
}
