package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0: 32 weights in 34 bytes.
 * <pre>
 *   offset 0  f16 d          scale
 *   offset 2  int8 qs[32]    weight j = d * qs[j]
 * </pre>
 */
public final class BlockQ8_0 {
    public static final int SIZE = 32;
    public static final int BYTES = 34;
    public static final int D = 0;
    public static final int QS = 2;

    private BlockQ8_0() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 32)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        for (int j = 0; j < SIZE; j++) {
            dst[off + j] = d * Bytes.i8(s, at + QS + j);
        }
    }
}
