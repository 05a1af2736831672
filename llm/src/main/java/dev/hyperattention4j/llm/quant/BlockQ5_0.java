package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: 32 weights in 22 bytes, symmetric 5-bit.
 * <pre>
 *   offset 0  f16 d          scale
 *   offset 2  u32 qh         bit j is the fifth (high) bit of weight j
 *   offset 6  u8 qs[16]      low nibble of qs[j] is weight j, high nibble is weight j + 16 (low four bits)
 *   weight = d * (q - 16), q = nibble | highBit << 4
 * </pre>
 */
public final class BlockQ5_0 {
    public static final int SIZE = 32;
    public static final int BYTES = 22;
    public static final int D = 0;
    public static final int QH = 2;
    public static final int QS = 6;

    private BlockQ5_0() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 32)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        int qh = Bytes.u32(s, at + QH);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(s, at + QS + j);
            int lo = (q & 0x0f) | ((qh >>> j) & 1) << 4;
            int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            dst[off + j] = d * (lo - 16);
            dst[off + j + 16] = d * (hi - 16);
        }
    }
}
