package dev.rampart.trainer;

import dev.rampart.accountant.LedgerFormat;
import dev.rampart.accountant.PrivacyLedger;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saves and restores a private training run: parameters, updater state (momentum, Adam moments), step and
 * iteration counters, the settings and the privacy ledger. Numbers only: the model's configuration is not
 * stored (restoring never instantiates classes named in a file); the caller rebuilds the same model and the
 * checkpoint is checked against it. The bytes are a {@link dev.rampart.common.FramedFile} (magic
 * {@code "RAMPCKP2"}), whose length and SHA-256 detect truncation and naive tampering; a coordinator seals
 * {@link #toBytes} with its own authenticated key. Files are written atomically. Checkpoints of the first version
 * ({@code "RAMPART-CKPT"}, version 1: the same fields after a version number, without the frame's length) are
 * still restored.
 *
 * <p>Noise and sampling are never restored: a resumed run draws from a fresh cryptographic stream, so no
 * noise is ever reused. The ledger is restored as saved, so ε is never under-counted for the steps the
 * checkpoint contains; steps taken after it and lost in a crash were charged to the live ledger, which a
 * caller that persists its ledger per charge keeps (over-counting, the conservative side).
 */
public final class Checkpoint {
  static final String MAGIC = "RAMPCKP2";
  private static final String FIRST_MAGIC = "RAMPART-CKPT";
  private static final int FIRST_VERSION = 1;
  private static final long MAX_VALUES = 1L << 28;

  /** What a checkpoint restores besides the network's numbers; {@code ledger} is null if none was written. */
  public record State(DpSgdTrainer.Settings settings, long steps, PrivacyLedger ledger) {}

  private Checkpoint() {}

  /**
   * Saves a run to {@code file} atomically (written to a temporary file, forced to disk, then moved into place):
   * the bytes of {@link #toBytes}.
   */
  public static void save(Path file, MultiLayerNetwork net, DpSgdTrainer.Settings settings, long steps,
      PrivacyLedger ledger) throws IOException {
    dev.rampart.common.AtomicFiles.write(file, toBytes(net, settings, steps, ledger));
  }

  /**
   * A checkpoint as bytes (the format of {@link #save}), for a caller that seals and stores it itself: a framed
   * file whose body is the settings, step and iteration counters, parameters and updater state as float32, and the
   * ledger in {@link LedgerFormat} text (an empty section when {@code ledgerOrNull} is null: a caller that keeps
   * its live ledger apart need not store it twice).
   */
  public static byte[] toBytes(MultiLayerNetwork net, DpSgdTrainer.Settings settings, long steps,
      PrivacyLedger ledgerOrNull) {
    try {
      byte[] ledgerBytes = new byte[0];
      if (ledgerOrNull != null) {
        StringWriter ledgerText = new StringWriter();
        LedgerFormat.write(ledgerOrNull, ledgerText);
        ledgerBytes = ledgerText.toString().getBytes(StandardCharsets.UTF_8);
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeDouble(settings.sampleRate());
      out.writeDouble(settings.noiseMultiplier());
      out.writeDouble(settings.clipNorm());
      out.writeLong(steps);
      out.writeInt(net.getIterationCount());
      out.writeInt(net.getEpochCount());
      writeFloats(out, net.params());
      INDArray updater = net.getUpdater().getStateViewArray();
      writeFloats(out, updater);
      out.writeInt(ledgerBytes.length);
      out.write(ledgerBytes);
      out.flush();
      return dev.rampart.common.FramedFile.frame(MAGIC, bytes.toByteArray());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("writing to memory failed", e);
    }
  }

  private static void writeFloats(DataOutputStream out, INDArray a) throws IOException {
    if (a == null || a.isEmpty()) {
      out.writeLong(0);
      return;
    }
    float[] v = a.castTo(DataType.FLOAT).data().asFloat();
    out.writeLong(v.length);
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.BIG_ENDIAN);
    b.asFloatBuffer().put(v);
    out.write(b.array());
  }

  /**
   * Restores a checkpoint file into {@code net} (built from the same model as the saved one); see
   * {@link #restore(byte[], String, MultiLayerNetwork)}.
   *
   * @throws CheckpointException if the file is not a checkpoint of this version, is truncated or altered, or
   *     does not fit this network
   */
  public static State restore(Path file, MultiLayerNetwork net) throws IOException {
    return restore(Files.readAllBytes(file), file.toString(), net);
  }

  /**
   * Restores checkpoint bytes ({@link #toBytes}) into {@code net} (built from the same model as the saved one).
   * Everything is read and checked before the network is touched: bad bytes leave it as it was.
   *
   * @param what names the checkpoint in messages (a file name, "the checkpoint of job 3f2a…")
   * @return the settings, the step count and the ledger, which is null if none was written
   * @throws CheckpointException if the bytes are not a checkpoint of this version, are truncated or altered, or
   *     do not fit this network
   */
  public static State restore(byte[] all, String what, MultiLayerNetwork net) throws CheckpointException {
    ByteBuffer in;
    boolean first = all != null && all.length >= FIRST_MAGIC.length()
        && new String(all, 0, FIRST_MAGIC.length(), StandardCharsets.US_ASCII).equals(FIRST_MAGIC);
    try {
      in = first ? dev.rampart.common.FramedFile.openLegacy(all, FIRST_MAGIC)
          : dev.rampart.common.FramedFile.open(all, MAGIC);
    } catch (dev.rampart.common.FramedFile.FormatException e) {
      throw new CheckpointException(what + " is corrupt: " + e.getMessage());
    }
    try {
      if (first) {
        int version = in.getInt();
        if (version != FIRST_VERSION) {
          throw new CheckpointException(what + " is checkpoint version " + version + "; this Rampart reads "
              + FIRST_VERSION + " (and " + MAGIC + ")");
        }
      }
      DpSgdTrainer.Settings settings;
      try {
        settings = new DpSgdTrainer.Settings(in.getDouble(), in.getDouble(), in.getDouble());
      } catch (IllegalArgumentException e) {
        throw new CheckpointException(what + ": " + e.getMessage());
      }
      long steps = in.getLong();
      int iteration = in.getInt();
      int epoch = in.getInt();
      if (steps < 0 || iteration < 0 || epoch < 0) {
        throw new CheckpointException(what + ": negative counters");
      }
      float[] params = readFloats(in, what);
      float[] updater = readFloats(in, what);
      int ledgerLength = in.getInt();
      if (ledgerLength < 0 || ledgerLength > in.remaining()) {
        throw new CheckpointException(what + ": ledger length " + ledgerLength + " does not fit");
      }
      byte[] ledgerBytes = new byte[ledgerLength];
      in.get(ledgerBytes);
      if (in.hasRemaining()) {
        throw new CheckpointException(what + " has " + in.remaining() + " unexpected bytes");
      }
      PrivacyLedger ledger = null;
      if (ledgerLength > 0) {
        try {
          ledger = LedgerFormat.read(new StringReader(new String(ledgerBytes, StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
          throw new CheckpointException(what + ": its privacy ledger cannot be read (" + e.getMessage() + ")");
        }
      }
      if (params.length != net.numParams()) {
        throw new CheckpointException(what + " holds " + params.length + " parameters; this model has "
            + net.numParams() + ": it is a checkpoint of another model");
      }
      INDArray updaterView = net.getUpdater().getStateViewArray();
      long updaterLength = updaterView == null ? 0 : updaterView.length();
      if (updater.length != updaterLength) {
        throw new CheckpointException(what + " holds " + updater.length + " updater values; this model's updater"
            + " has " + updaterLength + ": another optimizer?");
      }
      // all checked: now change the network
      INDArray p = net.params();
      p.assign(Nd4j.createFromArray(params).reshape(p.shape()).castTo(p.dataType()));
      if (updaterLength > 0) {
        updaterView.assign(Nd4j.createFromArray(updater).reshape(updaterView.shape()).castTo(updaterView.dataType()));
      }
      net.setIterationCount(iteration);
      net.setEpochCount(epoch);
      return new State(settings, steps, ledger);
    } catch (java.nio.BufferUnderflowException e) {
      throw new CheckpointException(what + " is truncated");
    }
  }

  private static float[] readFloats(ByteBuffer in, String what) throws CheckpointException {
    long n = in.getLong();
    if (n < 0 || n > MAX_VALUES || n * 4 > in.remaining()) {
      throw new CheckpointException(what + ": an array of " + n + " values does not fit in the remaining bytes");
    }
    float[] v = new float[(int) n];
    in.asFloatBuffer().get(v);
    in.position(in.position() + (int) n * 4);
    return v;
  }
}
