package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1: 32 weights in 20 bytes, 4-bit with a minimum.
 * <pre>
 *   offset 0  f16 d          scale
 *   offset 2  f16 m          minimum (the block's smallest weight)
 *   offset 4  u8 qs[16]      low nibble of qs[j] is weight j, high nibble is weight j + 16
 *   weight = d * nibble + m
 * </pre>
 */
public final class BlockQ4_1 {
    public static final int SIZE = 32;
    public static final int BYTES = 20;
    public static final int D = 0;
    public static final int M = 2;
    public static final int QS = 4;

    private BlockQ4_1() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 32)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        float m = Bytes.f16(s, at + M);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(s, at + QS + j);
            dst[off + j] = d * (q & 0x0f) + m;
            dst[off + j + 16] = d * (q >>> 4) + m;
        }
    }
}
