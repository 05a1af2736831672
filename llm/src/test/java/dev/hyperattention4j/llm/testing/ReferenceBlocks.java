package dev.hyperattention4j.llm.testing;

import dev.hyperattention4j.llm.model.DType;

/**
 * An independent float64 decoder of every quantised block type, written element by element from the layout
 * descriptions (GGUF specification / ggml block structs) rather than from the runtime's loops: for each weight
 * index i it works out which bytes and bits hold its quant, scale and minimum. Tests compare the runtime's decoders
 * with it.
 */
public final class ReferenceBlocks {
    private ReferenceBlocks() {}

    /** Weight i of the block starting at {@code b[at]}. */
    public static double weight(byte[] b, int at, DType type, int i) {
        return switch (type) {
            case Q8_0 -> half(b, at) * b[at + 2 + i];
            case Q4_0 -> half(b, at) * (nibble(b, at + 2, i) - 8);
            case Q4_1 -> half(b, at) * nibble(b, at + 4, i) + half(b, at + 2);
            case Q5_0 -> half(b, at) * ((nibble(b, at + 6, i) + 16 * bit(b, at + 2, i)) - 16);
            case Q5_1 -> half(b, at) * (nibble(b, at + 8, i) + 16 * bit(b, at + 4, i)) + half(b, at + 2);
            case Q2_K -> q2k(b, at, i);
            case Q3_K -> q3k(b, at, i);
            case Q4_K -> q4k(b, at, i);
            case Q5_K -> q5k(b, at, i);
            case Q6_K -> q6k(b, at, i);
            case F32, F16, BF16 -> throw new IllegalArgumentException(type + " is not block-quantised");
        };
    }

    /** Every weight of {@code count} consecutive blocks starting at {@code b[0]}. */
    public static double[] decode(byte[] b, DType type, int blocks) {
        double[] out = new double[blocks * type.blockSize()];
        for (int k = 0; k < blocks; k++) {
            for (int i = 0; i < type.blockSize(); i++) {
                out[k * type.blockSize() + i] = weight(b, k * type.blockBytes(), type, i);
            }
        }
        return out;
    }

    // 32-weight types: quants 0..15 are the low nibbles of 16 bytes, 16..31 the high nibbles
    private static int nibble(byte[] b, int qs, int i) {
        int v = b[qs + i % 16] & 0xff;
        return i < 16 ? v & 15 : v >> 4;
    }

    /** Bit i of a little-endian 32-bit field. */
    private static int bit(byte[] b, int at, int i) {
        return ((b[at + i / 8] & 0xff) >> (i % 8)) & 1;
    }

    private static double half(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xff) | (b[at + 1] & 0xff) << 8));
    }

    private static int u8(byte[] b, int at) { return b[at] & 0xff; }

    // Q2_K: scales[16] @0, qs[64] @16, d @80, dmin @82; i = 128h + 32p + l, sub-block 8h + 2p + l/16
    private static double q2k(byte[] b, int at, int i) {
        int h = i / 128, p = i % 128 / 32, l = i % 32;
        int q = (u8(b, at + 16 + 32 * h + l) >> (2 * p)) & 3;
        int sc = u8(b, at + 8 * h + 2 * p + l / 16);
        return half(b, at + 80) * (sc & 15) * q - half(b, at + 82) * (sc >> 4);
    }

    // Q3_K: hmask[32] @0, qs[64] @32, scales[12] @96, d @108
    private static double q3k(byte[] b, int at, int i) {
        int h = i / 128, p = i % 128 / 32, l = i % 32;
        int low = (u8(b, at + 32 + 32 * h + l) >> (2 * p)) & 3;
        boolean high = ((u8(b, at + l) >> (4 * h + p)) & 1) == 1;
        int s = 8 * h + 2 * p + l / 16;
        int sLow = s < 8 ? u8(b, at + 96 + s) & 15 : u8(b, at + 96 + s - 8) >> 4;
        int sHigh = (u8(b, at + 96 + 8 + s % 4) >> (2 * (s / 4))) & 3;
        int scale = (sLow + 16 * sHigh) - 32;
        return half(b, at + 108) * scale * (high ? low : low - 4);
    }

    // Q4_K / Q5_K 12-byte scales: sub-block j's 6-bit scale and min
    private static int[] scaleMin(byte[] b, int sc, int j) {
        if (j < 4) {
            return new int[] {u8(b, sc + j) % 64, u8(b, sc + j + 4) % 64};
        }
        int scale = (u8(b, sc + j + 4) % 16) + 16 * (u8(b, sc + j - 4) / 64);
        int min = (u8(b, sc + j + 4) / 16) + 16 * (u8(b, sc + j) / 64);
        return new int[] {scale, min};
    }

    // Q4_K: d @0, dmin @2, scales @4, qs[128] @16; i = 64g + 32half + l, sub-block 2g + half
    private static double q4k(byte[] b, int at, int i) {
        int g = i / 64, half = i % 64 / 32, l = i % 32;
        int v = u8(b, at + 16 + 32 * g + l);
        int q = half == 0 ? v % 16 : v / 16;
        int[] sm = scaleMin(b, at + 4, 2 * g + half);
        return half(b, at) * sm[0] * q - half(b, at + 2) * sm[1];
    }

    // Q5_K: d @0, dmin @2, scales @4, qh[32] @16, qs[128] @48; high bit of i is bit (2g + half) of qh[l]
    private static double q5k(byte[] b, int at, int i) {
        int g = i / 64, half = i % 64 / 32, l = i % 32, j = 2 * g + half;
        int v = u8(b, at + 48 + 32 * g + l);
        int q = (half == 0 ? v % 16 : v / 16) + 16 * ((u8(b, at + 16 + l) >> j) & 1);
        int[] sm = scaleMin(b, at + 4, j);
        return half(b, at) * sm[0] * q - half(b, at + 2) * sm[1];
    }

    // Q6_K: ql[128] @0, qh[64] @128, int8 scales[16] @192, d @208; i = 128h + 32k + l
    private static double q6k(byte[] b, int at, int i) {
        int h = i / 128, k = i % 128 / 32, l = i % 32;
        int v = u8(b, at + 64 * h + 32 * (k % 2) + l);
        int low = k < 2 ? v % 16 : v / 16;
        int high = (u8(b, at + 128 + 32 * h + l) >> (2 * k)) & 3;
        int scale = b[at + 192 + 8 * h + 2 * k + l / 16];
        return half(b, at + 208) * scale * ((low + 16 * high) - 32);
    }
}
