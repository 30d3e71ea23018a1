package dev.rampart.datasets.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits UTF-8 CSV text into records of fields, per RFC 4180: fields separated by commas, records by CRLF or
 * LF; a field in double quotes may hold commas, line breaks and doubled quotes ({@code ""} is one quote). A
 * leading byte order mark is skipped (spreadsheets write one). Refused: a quote inside an unquoted field,
 * anything but a comma or line end after a closing quote, an unclosed quote, a CR not followed by LF outside
 * quotes, invalid UTF-8, and a field longer than the caller's limit. Not API.
 *
 * <p>Memory is bounded: a record with more than {@code maxFields} fields is returned cut after
 * {@code maxFields + 1} of them (the caller reports it and stops), and no field exceeds {@code maxFieldChars}.
 */
public final class CsvRecordReader {
  /** A syntax error; the message says what and where (line). */
  public static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxException(String message) {
      super(message);
    }
  }

  private final Reader in;
  private final int maxFields;
  private final int maxFieldChars;
  private final char[] buffer = new char[1 << 14];
  private int bufferPos;
  private int bufferEnd;
  private long line = 1;
  private long recordLine;
  private boolean started;

  public CsvRecordReader(InputStream in, int maxFields, int maxFieldChars) {
    this.in = new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT));
    this.maxFields = maxFields;
    this.maxFieldChars = maxFieldChars;
  }

  /** 1-based line on which the record last returned by {@link #next} starts. */
  public long recordLine() {
    return recordLine;
  }

  /** The next record's fields, or {@code null} at the end of the text. */
  public List<String> next() throws IOException, SyntaxException {
    int c = read();
    if (!started) {
      started = true;
      if (c == '\uFEFF') {
        c = read();
      }
    }
    if (c == -1) {
      return null;
    }
    recordLine = line;
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    while (true) {
      field.setLength(0);
      if (c == '"') {
        long openLine = line;
        while (true) {
          c = read();
          if (c == -1) {
            throw new SyntaxException("the quoted field opened on line " + openLine + " is never closed: add the"
                + " closing quote");
          }
          if (c == '"') {
            c = read();
            if (c != '"') {
              break; // the closing quote; c is the character after it
            }
          } else if (c == '\n') {
            line++;
          }
          append(field, (char) c);
        }
        if (c != ',' && c != '\n' && c != '\r' && c != -1) {
          throw new SyntaxException("line " + line + ": " + Messages.quote(String.valueOf((char) c))
              + " after a closing quote: a quoted field must end right before a comma or line end; write a"
              + " quote inside a quoted field as two quotes (\"\")");
        }
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != -1) {
          if (c == '"') {
            throw new SyntaxException("line " + line + ": a quote inside an unquoted field: put the whole field"
                + " in quotes and write the quote as two quotes (\"\")");
          }
          append(field, (char) c);
          c = read();
        }
      }
      fields.add(field.toString());
      if (fields.size() > maxFields) {
        return fields;
      }
      if (c == ',') {
        c = read();
        continue;
      }
      if (c == '\r') {
        if (read() != '\n') {
          throw new SyntaxException("line " + line + ": a carriage return not followed by a line feed: end lines"
              + " with LF or CRLF");
        }
        c = '\n';
      }
      if (c == '\n') {
        line++;
      }
      return fields;
    }
  }

  private void append(StringBuilder field, char c) throws SyntaxException {
    if (field.length() >= maxFieldChars) {
      throw new SyntaxException("line " + line + ": a field longer than " + maxFieldChars + " characters, "
          + "starting " + Messages.quote(field.toString()) + ": check for an unbalanced quote");
    }
    field.append(c);
  }

  private int read() throws IOException, SyntaxException {
    if (bufferPos == bufferEnd) {
      int n;
      try {
        n = in.read(buffer, 0, buffer.length);
      } catch (CharacterCodingException e) {
        throw new SyntaxException("at or after line " + line + ": the text is not valid UTF-8 (" + e + "): save"
            + " the file as UTF-8");
      }
      if (n <= 0) {
        return -1;
      }
      bufferPos = 0;
      bufferEnd = n;
    }
    return buffer[bufferPos++];
  }
}
