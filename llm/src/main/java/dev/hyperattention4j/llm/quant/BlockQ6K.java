package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: a super-block of 256 weights in 210 bytes; 16 sub-blocks of 16 weights with signed 8-bit scales, 6-bit
 * quants stored as 4 low bits plus 2 high bits. No minimum (symmetric).
 * <pre>
 *   offset 0    u8 ql[128]     low four bits
 *   offset 128  u8 qh[64]      high two bits
 *   offset 192  int8 sc[16]    sub-block scales
 *   offset 208  f16 d          super-block scale
 * </pre>
 * Weight i (0..255): h = i / 128, r = i % 128, quarter k = r / 32, l = r % 32. Low bits = low nibble (k = 0, 1) or
 * high nibble (k = 2, 3) of {@code ql[64h + 32(k % 2) + l]}; high bits = bits {@code 2k, 2k+1} of
 * {@code qh[32h + l]}; q = (low | high &lt;&lt; 4) - 32; sub-block {@code 8h + 2k + l / 16}; weight = d * sc * q.
 */
public final class BlockQ6K {
    public static final int SIZE = 256;
    public static final int BYTES = 210;
    public static final int QL = 0;
    public static final int QH = 128;
    public static final int SCALES = 192;
    public static final int D = 208;

    private BlockQ6K() {}

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 256)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        int o = off;
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                long ql = at + QL + 64L * h + 32L * (k % 2);
                int shift = k < 2 ? 0 : 4;
                for (int half = 0; half < 2; half++) {
                    float dl = d * Bytes.i8(s, at + SCALES + 8 * h + 2 * k + half);
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        int low = (Bytes.u8(s, ql + l) >>> shift) & 15;
                        int high = (Bytes.u8(s, at + QH + 32L * h + l) >>> (2 * k)) & 3;
                        dst[o++] = dl * ((low | high << 4) - 32);
                    }
                }
            }
        }
    }
}
