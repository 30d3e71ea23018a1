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
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saves and restores a private training run: parameters, updater state (momentum, Adam moments), step and
 * iteration counters, the settings and the privacy ledger. Numbers only: the model's configuration is not
 * stored (restoring never instantiates classes named in a file); the caller rebuilds the same model and the
 * checkpoint is checked against it. A SHA-256 over the whole file detects truncation and tampering (sealing
 * with an authenticated key comes with the coordinator). Written atomically.
 *
 * <p>Noise and sampling are never restored: a resumed run draws from a fresh cryptographic stream, so no
 * noise is ever reused. The ledger is restored as saved, so ε is never under-counted for the steps the
 * checkpoint contains; steps taken after it and lost in a crash were charged to the live ledger, which a
 * caller that persists its ledger per charge keeps (over-counting, the conservative side).
 */
public final class Checkpoint {
  private static final byte[] MAGIC = "RAMPART-CKPT".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final long MAX_VALUES = 1L << 28;

  /** What a checkpoint restores besides the network's numbers. */
  public record State(DpSgdTrainer.Settings settings, long steps, PrivacyLedger ledger) {}

  private Checkpoint() {}

  public static void save(Path file, MultiLayerNetwork net, DpSgdTrainer.Settings settings, long steps,
      PrivacyLedger ledger) throws IOException {
    StringWriter ledgerText = new StringWriter();
    LedgerFormat.write(ledger, ledgerText);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(MAGIC);
    out.writeInt(VERSION);
    out.writeDouble(settings.sampleRate());
    out.writeDouble(settings.noiseMultiplier());
    out.writeDouble(settings.clipNorm());
    out.writeLong(steps);
    out.writeInt(net.getIterationCount());
    out.writeInt(net.getEpochCount());
    writeFloats(out, net.params());
    INDArray updater = net.getUpdater().getStateViewArray();
    writeFloats(out, updater);
    byte[] ledgerBytes = ledgerText.toString().getBytes(StandardCharsets.UTF_8);
    out.writeInt(ledgerBytes.length);
    out.write(ledgerBytes);
    out.flush();
    byte[] body = bytes.toByteArray();
    byte[] digest = sha256(body, body.length);
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, body);
      Files.write(tmp, digest, StandardOpenOption.APPEND);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
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
   * Restores a checkpoint into {@code net} (built from the same model as the saved one). Everything is read and
   * checked before the network is touched: a bad file leaves it as it was.
   *
   * @throws CheckpointException if the file is not a checkpoint of this version, is truncated or altered, or
   *     does not fit this network
   */
  public static State restore(Path file, MultiLayerNetwork net) throws IOException {
    byte[] all = Files.readAllBytes(file);
    if (all.length < MAGIC.length + 4 + 32) {
      throw new CheckpointException(file + " is too short to be a checkpoint");
    }
    byte[] expected = sha256(all, all.length - 32);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(all, all.length - 32, all.length))) {
      throw new CheckpointException(file + " is corrupt: its checksum does not match (truncated or altered)");
    }
    ByteBuffer in = ByteBuffer.wrap(all, 0, all.length - 32).order(ByteOrder.BIG_ENDIAN);
    try {
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new CheckpointException(file + " is not a Rampart checkpoint");
      }
      int version = in.getInt();
      if (version != VERSION) {
        throw new CheckpointException(file + " is checkpoint version " + version + "; this Rampart reads " + VERSION);
      }
      DpSgdTrainer.Settings settings;
      try {
        settings = new DpSgdTrainer.Settings(in.getDouble(), in.getDouble(), in.getDouble());
      } catch (IllegalArgumentException e) {
        throw new CheckpointException(file + ": " + e.getMessage());
      }
      long steps = in.getLong();
      int iteration = in.getInt();
      int epoch = in.getInt();
      if (steps < 0 || iteration < 0 || epoch < 0) {
        throw new CheckpointException(file + ": negative counters");
      }
      float[] params = readFloats(in, file);
      float[] updater = readFloats(in, file);
      int ledgerLength = in.getInt();
      if (ledgerLength < 0 || ledgerLength > in.remaining()) {
        throw new CheckpointException(file + ": ledger length " + ledgerLength + " does not fit");
      }
      byte[] ledgerBytes = new byte[ledgerLength];
      in.get(ledgerBytes);
      if (in.hasRemaining()) {
        throw new CheckpointException(file + " has " + in.remaining() + " unexpected bytes");
      }
      PrivacyLedger ledger = LedgerFormat.read(new StringReader(new String(ledgerBytes, StandardCharsets.UTF_8)));
      if (params.length != net.numParams()) {
        throw new CheckpointException(file + " holds " + params.length + " parameters; this model has "
            + net.numParams() + ": it is a checkpoint of another model");
      }
      INDArray updaterView = net.getUpdater().getStateViewArray();
      long updaterLength = updaterView == null ? 0 : updaterView.length();
      if (updater.length != updaterLength) {
        throw new CheckpointException(file + " holds " + updater.length + " updater values; this model's updater"
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
      throw new CheckpointException(file + " is truncated");
    }
  }

  private static float[] readFloats(ByteBuffer in, Path file) throws CheckpointException {
    long n = in.getLong();
    if (n < 0 || n > MAX_VALUES || n * 4 > in.remaining()) {
      throw new CheckpointException(file + ": an array of " + n + " values does not fit the file");
    }
    float[] v = new float[(int) n];
    in.asFloatBuffer().get(v);
    in.position(in.position() + (int) n * 4);
    return v;
  }

  private static byte[] sha256(byte[] data, int length) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(data, 0, length);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
