package dev.hyperattention4j.llm.format.io;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * A cursor over a (usually memory-mapped) segment that reads little-endian values and checks every read against
 * the end of the segment first, so a truncated or lying file becomes a {@link ModelFormatException} naming the
 * field and byte offset instead of an {@link IndexOutOfBoundsException} or a huge allocation.
 */
public final class BinaryReader {
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble DOUBLE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final FormatErrors errors;
    private long position;
    private java.nio.charset.CharsetDecoder utf8;

    public BinaryReader(MemorySegment segment, long position, FormatErrors errors) {
        this.segment = segment;
        this.position = position;
        this.errors = errors;
    }

    public long position() { return position; }

    public void seek(long newPosition) { this.position = newPosition; }

    public long size() { return segment.byteSize(); }

    public long remaining() { return segment.byteSize() - position; }

    public FormatErrors errors() { return errors; }

    /** Fails unless {@code bytes} more bytes are available for {@code field}. */
    public void require(long bytes, String field) throws ModelFormatException {
        if (bytes < 0 || bytes > remaining()) {
            throw errors.error(field, "needs " + bytes + " bytes but only " + Math.max(0, remaining())
                    + " remain before the end of the file (truncated or corrupt)", position);
        }
    }

    /** Checks that {@code bytes} more bytes exist for {@code field}, moves past them and returns where they start. */
    private long take(long bytes, String field) throws ModelFormatException {
        require(bytes, field);
        long at = position;
        position += bytes;
        return at;
    }

    public byte readByte(String field) throws ModelFormatException {
        return segment.get(ValueLayout.JAVA_BYTE, take(1, field));
    }

    public short readShort(String field) throws ModelFormatException {
        return segment.get(SHORT, take(2, field));
    }

    public int readInt(String field) throws ModelFormatException {
        return segment.get(INT, take(4, field));
    }

    public long readLong(String field) throws ModelFormatException {
        return segment.get(LONG, take(8, field));
    }

    public float readFloat(String field) throws ModelFormatException {
        return segment.get(FLOAT, take(4, field));
    }

    public double readDouble(String field) throws ModelFormatException {
        return segment.get(DOUBLE, take(8, field));
    }

    public short[] readShorts(int count, String field) throws ModelFormatException {
        return readArray(SHORT, count, short[]::new, field);
    }

    public int[] readInts(int count, String field) throws ModelFormatException {
        return readArray(INT, count, int[]::new, field);
    }

    public long[] readLongs(int count, String field) throws ModelFormatException {
        return readArray(LONG, count, long[]::new, field);
    }

    public float[] readFloats(int count, String field) throws ModelFormatException {
        return readArray(FLOAT, count, float[]::new, field);
    }

    public double[] readDoubles(int count, String field) throws ModelFormatException {
        return readArray(DOUBLE, count, double[]::new, field);
    }

    /** {@code count} values in one copy; the bytes are checked before the array is allocated. */
    private <A> A readArray(ValueLayout layout, int count, IntFunction<A> allocate, String field)
            throws ModelFormatException {
        long at = take(layout.byteSize() * count, field);
        A array = allocate.apply(count);
        MemorySegment.copy(segment, layout, at, array, 0, count);
        return array;
    }

    /** Reads {@code length} bytes; the length was checked against the remaining bytes first. */
    public byte[] readBytes(long length, String field) throws ModelFormatException {
        long at = take(length, field);
        byte[] bytes = new byte[Math.toIntExact(length)];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, at, bytes, 0, bytes.length);
        return bytes;
    }

    /** Reads strictly valid UTF-8 of {@code length} bytes. */
    public String readUtf8(long length, String field) throws ModelFormatException {
        long at = position;
        String text = utf8OrNull(readBytes(length, field));
        if (text == null) {
            throw errors.error(field, "is not valid UTF-8", at);
        }
        return text;
    }

    /**
     * The text of strictly valid UTF-8 bytes, or null. The JDK's lenient decoder is several times faster than a
     * strict {@code CharsetDecoder} (GGUF vocabularies hold 100k+ strings, decoded in a cold JVM); it turns every
     * malformed sequence (overlong forms, surrogates, truncation) into U+FFFD, so only a text that contains U+FFFD
     * needs the strict decoder to tell a malformed input from an encoded U+FFFD.
     */
    private String utf8OrNull(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') < 0) {
            return text;
        }
        try {
            if (utf8 == null) {
                utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            return utf8.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * The next GGUF-style string (a little-endian 64-bit length, then that many bytes of UTF-8) if it is well
     * formed and at most {@code maxLength} bytes long, else null with the position unchanged: the fast path for
     * arrays of 100k+ strings, whose caller then re-reads the element with field names for the error.
     */
    public String readLengthPrefixedUtf8OrNull(long maxLength) {
        long at = position;
        if (remaining() < 8) {
            return null;
        }
        long length = segment.get(LONG, at);
        if (length < 0 || length > maxLength || length > remaining() - 8) {
            return null;
        }
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, at + 8, bytes, 0, bytes.length);
        String text = utf8OrNull(bytes);
        if (text != null) {
            position = at + 8 + length;
        }
        return text;
    }
}
