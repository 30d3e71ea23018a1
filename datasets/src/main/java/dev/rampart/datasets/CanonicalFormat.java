package dev.rampart.datasets;

import dev.rampart.datasets.DatasetFormatException.Problem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The canonical record format every dataset is converted to. The SHA-256 of a dataset's canonical bytes is its
 * id, so this layout is frozen: any change is a new magic.
 *
 * <p>All integers are big-endian (network order), with no padding and no alignment.
 *
 * <pre>
 * offset  size  field
 *      0     8  magic, the ASCII bytes "RAMPDS01" (52 41 4D 50 44 53 30 31)
 *      8     1  feature type: 1 = UINT8, 2 = FLOAT32 ({@link FeatureType#code()})
 *      9     3  reserved, must be 00 00 00
 *     12     4  featureCount, int32, 1..1 000 000
 *     16     4  classCount, int32, 2..65 535
 *     20     8  rowCount, int64, 1..100 000 000
 *     28        rowCount records, each {@link Header#rowBytes()} bytes:
 *                 featureCount features: UINT8 one byte (0..255) each,
 *                                        FLOAT32 four bytes (IEEE-754 binary32, finite) each;
 *                 then the label, int32, in [0, classCount)
 * end         = 28 + rowCount × rowBytes; nothing may follow; at most 8 GiB in all
 * </pre>
 *
 * Every field is fully determined by the data: no timestamps, no names, no free space, so the same rows
 * always give the same bytes and the same id.
 */
public final class CanonicalFormat {
  /** The magic's ASCII text; the trailing "01" is the format version. */
  public static final String MAGIC_TEXT = "RAMPDS01";
  /** Size of the header, in bytes. */
  public static final int HEADER_BYTES = 28;
  /** Most features per record. */
  public static final int MAX_FEATURES = 1_000_000;
  /** Fewest classes: one class has nothing to learn. */
  public static final int MIN_CLASSES = 2;
  /** Most classes. */
  public static final int MAX_CLASSES = 65_535;
  /** Most records. */
  public static final long MAX_ROWS = 100_000_000L;
  /** Most bytes of a canonical dataset, header included: 8 GiB. */
  public static final long MAX_TOTAL_BYTES = 8L << 30;

  private static final byte[] MAGIC = MAGIC_TEXT.getBytes(StandardCharsets.US_ASCII);

  private CanonicalFormat() {}

  /** The {@value #HEADER_BYTES} header bytes for {@code header}. */
  public static byte[] encodeHeader(Header header) {
    return ByteBuffer.allocate(HEADER_BYTES)
        .put(MAGIC)
        .put((byte) header.featureType().code())
        .put(new byte[3])
        .putInt(header.featureCount())
        .putInt(header.classCount())
        .putLong(header.rowCount())
        .array();
  }

  /**
   * Parses and checks a header from untrusted bytes: magic, type, reserved bytes, limits.
   *
   * @param bytes exactly {@value #HEADER_BYTES} bytes
   * @throws DatasetFormatException {@link Problem#HEADER} for a wrong magic, unknown type or non-zero reserved
   *     byte; {@link Problem#LIMIT} for a size outside the limits
   */
  public static Header decodeHeader(byte[] bytes) throws DatasetFormatException {
    if (bytes.length != HEADER_BYTES) {
      throw new IllegalArgumentException("a header is " + HEADER_BYTES + " bytes, got " + bytes.length);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte[] magic = new byte[MAGIC.length];
    in.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new DatasetFormatException(Problem.HEADER, "canonical header: magic is " + hex(magic) + ", expected "
          + hex(MAGIC) + " (\"" + MAGIC_TEXT + "\"): this is not a Rampart canonical dataset of format version 1;"
          + " convert the source data (CSV, IDX) with the datasets module");
    }
    int typeCode = Byte.toUnsignedInt(in.get());
    FeatureType type = FeatureType.fromCode(typeCode);
    if (type == null) {
      throw new DatasetFormatException(Problem.HEADER, "canonical header: feature type byte (offset 8) is "
          + typeCode + ", expected 1 (UINT8) or 2 (FLOAT32): the file is damaged or from another format");
    }
    for (int offset = 9; offset < 12; offset++) {
      int b = Byte.toUnsignedInt(in.get());
      if (b != 0) {
        throw new DatasetFormatException(Problem.HEADER, "canonical header: reserved byte at offset " + offset
            + " is " + b + ", must be 0: the file is damaged or from a newer format version");
      }
    }
    int featureCount = in.getInt();
    int classCount = in.getInt();
    long rowCount = in.getLong();
    String problem = Header.problem(type, featureCount, classCount, rowCount);
    if (problem != null) {
      throw new DatasetFormatException(Problem.LIMIT, "canonical header: " + problem);
    }
    return new Header(type, featureCount, classCount, rowCount);
  }

  private static String hex(byte[] bytes) {
    return java.util.HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes);
  }

}
