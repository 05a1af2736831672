package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: a super-block of 256 weights in 144 bytes; 8 sub-blocks of 32 weights, each with a 6-bit scale and a 6-bit
 * minimum, 4-bit quants.
 * <pre>
 *   offset 0   f16 d           super-block scale of the scales
 *   offset 2   f16 dmin        super-block scale of the minimums
 *   offset 4   u8 scales[12]   see {@link PackedScales}
 *   offset 16  u8 qs[128]      4-bit quants
 * </pre>
 * Weight i (0..255): group g = i / 64, half = (i % 64) / 32, l = i % 32. Quant = low nibble (half 0) or high
 * nibble (half 1) of {@code qs[32g + l]}; sub-block j = 2g + half; weight = d * scale_j * q - dmin * min_j.
 */
public final class BlockQ4K {
    public static final int SIZE = 256;
    public static final int BYTES = 144;
    public static final int D = 0;
    public static final int DMIN = 2;
    public static final int SCALES = 4;
    public static final int QS = 16;

    private BlockQ4K() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 256)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        decode(s, at, QS, -1, dst, off);
    }

    /**
     * The decoding of Q4_K and of {@link BlockQ5K}, which adds a fifth bit per weight: nibbles at byte {@code qs} of
     * the block, fifth bits at byte {@code qh} (negative: none); sub-block j's bit of {@code qh[l]} is bit j.
     */
    static void decode(MemorySegment s, long at, int qs, int qh, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        float dmin = Bytes.f16(s, at + DMIN);
        int o = off;
        for (int g = 0; g < 4; g++) {
            for (int half = 0; half < 2; half++) {
                int j = 2 * g + half;
                float dl = d * PackedScales.scale(s, at + SCALES, j);
                float ml = dmin * PackedScales.min(s, at + SCALES, j);
                int shift = 4 * half;
                for (int l = 0; l < 32; l++) {
                    int q = (Bytes.u8(s, at + qs + 32L * g + l) >>> shift) & 15;
                    if (qh >= 0) {
                        q |= ((Bytes.u8(s, at + qh + l) >>> j) & 1) << 4;
                    }
                    dst[o++] = dl * q - ml;
                }
            }
        }
    }
}
