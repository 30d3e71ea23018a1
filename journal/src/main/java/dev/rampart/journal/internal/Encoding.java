package dev.rampart.journal.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The journal's one binary encoding: a sequence of fields, each a 4-byte big-endian length then that many
 * bytes; integers are 8-byte big-endian fields. Every field carries its length, so no two different field
 * sequences encode to the same bytes (a signature over them cannot be re-read with the fields split
 * differently). Not API.
 */
public final class Encoding {
  private Encoding() {}

  /** Builds an encoding field by field. */
  public static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    public Writer field(byte[] value) {
      out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
      out.writeBytes(value);
      return this;
    }

    public Writer field(long value) {
      return field(ByteBuffer.allocate(8).putLong(value).array());
    }

    /** An ASCII string (the journal's domain labels and entry types are ASCII by construction). */
    public Writer field(String ascii) {
      return field(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    public byte[] toByteArray() {
      return out.toByteArray();
    }
  }

  /** Reads an encoding back, refusing anything that does not fit exactly. */
  public static final class Reader {
    private final ByteBuffer in;

    public Reader(byte[] bytes) {
      this.in = ByteBuffer.wrap(bytes);
    }

    /**
     * The next field.
     *
     * @throws IllegalArgumentException if the input ends early or the field is longer than {@code maxLength}
     */
    public byte[] field(String name, int maxLength) {
      if (in.remaining() < 4) {
        throw new IllegalArgumentException("the encoding ends before the length of '" + name + "'");
      }
      int length = in.getInt();
      if (length < 0 || length > maxLength) {
        throw new IllegalArgumentException("'" + name + "' is " + Integer.toUnsignedString(length)
            + " bytes; at most " + maxLength + " allowed");
      }
      if (in.remaining() < length) {
        throw new IllegalArgumentException("the encoding ends inside '" + name + "'");
      }
      byte[] value = new byte[length];
      in.get(value);
      return value;
    }

    /** The next field as an 8-byte big-endian integer. */
    public long longField(String name) {
      byte[] b = field(name, 8);
      if (b.length != 8) {
        throw new IllegalArgumentException("'" + name + "' must be 8 bytes, got " + b.length);
      }
      return ByteBuffer.wrap(b).getLong();
    }

    /** The next field as ASCII text. */
    public String asciiField(String name, int maxLength) {
      byte[] b = field(name, maxLength);
      for (byte c : b) {
        if (c < 0x20 || c > 0x7e) {
          throw new IllegalArgumentException("'" + name + "' is not printable ASCII");
        }
      }
      return new String(b, StandardCharsets.US_ASCII);
    }

    /** @throws IllegalArgumentException if bytes are left over */
    public void requireEnd() {
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " bytes follow the last field");
      }
    }
  }
}
