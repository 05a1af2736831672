package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K: a super-block of 256 weights in 84 bytes; 16 sub-blocks of 16 weights, each with a 4-bit scale and a 4-bit
 * minimum, 2-bit quants.
 * <pre>
 *   offset 0   u8 scales[16]   sub-block i: scale = scales[i] &amp; 15, min = scales[i] &gt;&gt; 4
 *   offset 16  u8 qs[64]       2-bit quants, see below
 *   offset 80  f16 d           super-block scale of the scales
 *   offset 82  f16 dmin        super-block scale of the minimums
 * </pre>
 * Weight i (0..255): half h = i / 128, r = i % 128, shift pair p = r / 32, l = r % 32. Its quant is bits
 * {@code 2p, 2p+1} of {@code qs[32h + l]}; its sub-block is {@code 8h + 2p + l / 16};
 * weight = d * scale * q - dmin * min.
 */
public final class BlockQ2K {
    public static final int SIZE = 256;
    public static final int BYTES = 84;
    public static final int SCALES = 0;
    public static final int QS = 16;
    public static final int D = 80;
    public static final int DMIN = 82;

    private BlockQ2K() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 256)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        float dmin = Bytes.f16(s, at + DMIN);
        int o = off;
        for (int h = 0; h < 2; h++) {
            long qs = at + QS + 32L * h;
            for (int p = 0; p < 4; p++) {
                for (int half = 0; half < 2; half++) {
                    int sc = Bytes.u8(s, at + SCALES + 8 * h + 2 * p + half);
                    float dl = d * (sc & 15);
                    float ml = dmin * (sc >>> 4);
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        dst[o++] = dl * ((Bytes.u8(s, qs + l) >>> (2 * p)) & 3) - ml;
                    }
                }
            }
        }
    }
}
