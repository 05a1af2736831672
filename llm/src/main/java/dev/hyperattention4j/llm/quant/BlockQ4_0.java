package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0: 32 weights in 18 bytes, symmetric 4-bit.
 * <pre>
 *   offset 0  f16 d          scale
 *   offset 2  u8 qs[16]      low nibble of qs[j] is weight j, high nibble is weight j + 16
 *   weight = d * (nibble - 8)
 * </pre>
 */
public final class BlockQ4_0 {
    public static final int SIZE = 32;
    public static final int BYTES = 18;
    public static final int D = 0;
    public static final int QS = 2;

    private BlockQ4_0() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 32)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(s, at + QS + j);
            dst[off + j] = d * ((q & 0x0f) - 8);
            dst[off + j + 16] = d * ((q >>> 4) - 8);
        }
    }
}
