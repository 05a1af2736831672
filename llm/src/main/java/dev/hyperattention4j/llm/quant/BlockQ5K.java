package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K: a super-block of 256 weights in 176 bytes; as {@link BlockQ4K} plus one high bit per weight.
 * <pre>
 *   offset 0   f16 d           super-block scale of the scales
 *   offset 2   f16 dmin        super-block scale of the minimums
 *   offset 4   u8 scales[12]   see {@link PackedScales}
 *   offset 16  u8 qh[32]       high bits
 *   offset 48  u8 qs[128]      low four bits
 * </pre>
 * Weight i (0..255): g = i / 64, half = (i % 64) / 32, l = i % 32, sub-block j = 2g + half. Low bits = low
 * (half 0) or high (half 1) nibble of {@code qs[32g + l]}; high bit = bit j of {@code qh[l]}; q = low | high &lt;&lt; 4;
 * weight = d * scale_j * q - dmin * min_j.
 */
public final class BlockQ5K {
    public static final int SIZE = 256;
    public static final int BYTES = 176;
    public static final int D = 0;
    public static final int DMIN = 2;
    public static final int SCALES = 4;
    public static final int QH = 16;
    public static final int QS = 48;

    private BlockQ5K() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 256)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        BlockQ4K.decode(s, at, QS, QH, dst, off);
    }
}
