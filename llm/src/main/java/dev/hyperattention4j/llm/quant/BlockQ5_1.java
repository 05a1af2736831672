package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1: 32 weights in 24 bytes, 5-bit with a minimum.
 * <pre>
 *   offset 0  f16 d          scale
 *   offset 2  f16 m          minimum
 *   offset 4  u32 qh         bit j is the fifth (high) bit of weight j
 *   offset 8  u8 qs[16]      low nibble of qs[j] is weight j, high nibble is weight j + 16 (low four bits)
 *   weight = d * q + m, q = nibble | highBit << 4
 * </pre>
 */
public final class BlockQ5_1 {
    public static final int SIZE = 32;
    public static final int BYTES = 24;
    public static final int D = 0;
    public static final int M = 2;
    public static final int QH = 4;
    public static final int QS = 8;

    private BlockQ5_1() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 32)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        float m = Bytes.f16(s, at + M);
        int qh = Bytes.u32(s, at + QH);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(s, at + QS + j);
            int lo = (q & 0x0f) | ((qh >>> j) & 1) << 4;
            int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            dst[off + j] = d * lo + m;
            dst[off + j + 16] = d * hi + m;
        }
    }
}
