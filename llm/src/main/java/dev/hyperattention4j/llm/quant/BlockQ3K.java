package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K: a super-block of 256 weights in 110 bytes; 16 sub-blocks of 16 weights with signed 6-bit scales, 3-bit
 * quants stored as 2 low bits plus a high-bit mask. No minimum (symmetric).
 * <pre>
 *   offset 0    u8 hmask[32]   high bits
 *   offset 32   u8 qs[64]      low two bits
 *   offset 96   u8 scales[12]  sixteen 6-bit scales, stored as scale + 32
 *   offset 108  f16 d          super-block scale
 * </pre>
 * Scale i (0..15): low four bits = {@code i < 8 ? scales[i] & 15 : scales[i - 8] >> 4}, high two bits =
 * {@code (scales[8 + i % 4] >> 2(i / 4)) & 3}; value = that 6-bit number - 32.
 * Weight i (0..255): h = i / 128, r = i % 128, p = r / 32, l = r % 32. Low bits = bits {@code 2p, 2p+1} of
 * {@code qs[32h + l]}; high bit = bit {@code 4h + p} of {@code hmask[l]}; q = low - (high ? 0 : 4), in -4..3;
 * sub-block {@code 8h + 2p + l / 16}; weight = d * scale * q.
 */
public final class BlockQ3K {
    public static final int SIZE = 256;
    public static final int BYTES = 110;
    public static final int HMASK = 0;
    public static final int QS = 32;
    public static final int SCALES = 96;
    public static final int D = 108;

    private BlockQ3K() {}

    /** Scale i (-32..31) of the block at byte {@code at}. */
    public static int scale(MemorySegment s, long at, int i) {
        long sc = at + SCALES;
        int low = i < 8 ? Bytes.u8(s, sc + i) & 15 : Bytes.u8(s, sc + i - 8) >>> 4;
        int high = (Bytes.u8(s, sc + 8 + i % 4) >>> (2 * (i / 4))) & 3;
        return (low | high << 4) - 32;
    }

    /** Decodes the block at byte {@code at} of {@code s} into {@code dst[off .. off + 256)}. */
    public static void decode(MemorySegment s, long at, float[] dst, int off) {
        float d = Bytes.f16(s, at + D);
        int o = off;
        for (int h = 0; h < 2; h++) {
            long qs = at + QS + 32L * h;
            for (int p = 0; p < 4; p++) {
                int mask = 1 << (4 * h + p);
                for (int half = 0; half < 2; half++) {
                    float dl = d * scale(s, at, 8 * h + 2 * p + half);
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        int low = (Bytes.u8(s, qs + l) >>> (2 * p)) & 3;
                        int q = (Bytes.u8(s, at + HMASK + l) & mask) != 0 ? low : low - 4;
                        dst[o++] = dl * q;
                    }
                }
            }
        }
    }
}
