package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian field reads shared by the block decoders. */
final class Bytes {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Bytes() {}

    /** The f16 at byte {@code at}, widened to float. */
    static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(I16, at));
    }

    /** The unsigned byte at {@code at}. */
    static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    /** The signed byte at {@code at}. */
    static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    /** The little-endian uint32 at {@code at} (as a Java int: bit k is bit k of the field). */
    static int u32(MemorySegment s, long at) {
        return s.get(I32, at);
    }
}
