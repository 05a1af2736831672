package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.quant.BlockQ4_0;
import dev.hyperattention4j.llm.quant.BlockQ4_1;
import dev.hyperattention4j.llm.quant.BlockQ5_0;
import dev.hyperattention4j.llm.quant.BlockQ5_1;
import dev.hyperattention4j.llm.quant.BlockQ8_0;

/**
 * Encoders of the 32-weight block types: one scale (and a minimum for the _1 types) per block, chosen from the
 * block's extremes, then every weight rounded to the nearest level. These are the reference quantiser's schemes
 * (deterministic, no search), so for the same float input the bytes agree with its files; the golden tests check
 * this. Symmetric types take the signed value of largest magnitude as the end of the range so that it is
 * represented exactly (-8 · d for Q4_0), which is why d is negative for a block whose extreme is positive.
 */
final class LegacyQuants {
    private LegacyQuants() {}

    /** Q8_0: d = max|x| / 127, q = round(x / d). */
    static void q8_0(float[] x, int xo, byte[] out, int oo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + BlockQ8_0.D, d);
        for (int j = 0; j < 32; j++) {
            out[oo + BlockQ8_0.QS + j] = (byte) Rounding.halfAway(x[xo + j] * id);
        }
    }

    /** Q4_0: d = extreme / -8, q = trunc(x / d + 8.5) capped at 15. */
    static void q4_0(float[] x, int xo, byte[] out, int oo) {
        symmetric(x, xo, out, oo, 4, BlockQ4_0.D, BlockQ4_0.QS, -1);
    }

    /** Q4_1: m = min, d = (max - min) / 15, q = trunc((x - m) / d + 0.5) capped at 15. */
    static void q4_1(float[] x, int xo, byte[] out, int oo) {
        affine(x, xo, out, oo, 4, BlockQ4_1.D, BlockQ4_1.M, BlockQ4_1.QS, -1);
    }

    /** Q5_0: d = extreme / -16, q = trunc(x / d + 16.5) capped at 31. */
    static void q5_0(float[] x, int xo, byte[] out, int oo) {
        symmetric(x, xo, out, oo, 5, BlockQ5_0.D, BlockQ5_0.QS, BlockQ5_0.QH);
    }

    /** Q5_1: m = min, d = (max - min) / 31, q = trunc((x - m) / d + 0.5) capped at 31. */
    static void q5_1(float[] x, int xo, byte[] out, int oo) {
        affine(x, xo, out, oo, 5, BlockQ5_1.D, BlockQ5_1.M, BlockQ5_1.QS, BlockQ5_1.QH);
    }

    /**
     * The symmetric types of 4 or 5 bits: d = extreme / -2^(bits-1), q = trunc(x / d + 2^(bits-1) + 0.5) capped at
     * 2^bits - 1, the levels stored by {@link #packLevels}.
     */
    private static void symmetric(float[] x, int xo, byte[] out, int oo, int bits, int dAt, int qsAt, int qhAt) {
        float half = 1 << (bits - 1);
        float d = signedExtreme(x, xo) / -half;
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + dAt, d);
        packLevels(x, xo, 0f, id, half + 0.5f, bits, out, oo + qsAt, qhAt < 0 ? -1 : oo + qhAt);
    }

    /**
     * The types of 4 or 5 bits with a minimum: m = min, d = (max - min) / (2^bits - 1), q = trunc((x - m) / d + 0.5)
     * capped at 2^bits - 1, the levels stored by {@link #packLevels}.
     */
    private static void affine(float[] x, int xo, byte[] out, int oo, int bits, int dAt, int mAt, int qsAt, int qhAt) {
        float min = min(x, xo);
        float d = (max(x, xo) - min) / ((1 << bits) - 1);
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + dAt, d);
        putF16(out, oo + mAt, min);
        packLevels(x, xo, min, id, 0.5f, bits, out, oo + qsAt, qhAt < 0 ? -1 : oo + qhAt);
    }

    /**
     * Levels q = trunc((x - offset) · id + add) capped at 2^bits - 1 of the 32 weights: the low four bits of weights
     * j and j + 16 share byte {@code qs + j} (low and high nibble); for 5 bits, the fifth bits form the
     * little-endian word at {@code qh} (bit j for weight j).
     */
    private static void packLevels(float[] x, int xo, float offset, float id, float add, int bits, byte[] out, int qs,
                                   int qh) {
        int top = (1 << bits) - 1, high = 0;
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(top, (int) ((x[xo + j] - offset) * id + add));
            int hi = Math.min(top, (int) ((x[xo + 16 + j] - offset) * id + add));
            out[qs + j] = (byte) ((lo & 15) | (hi & 15) << 4);
            high |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        if (qh >= 0) {
            putI32(out, qh, high);
        }
    }

    /** The smallest value of the block of 32 at {@code xo}. */
    private static float min(float[] x, int xo) {
        float min = Float.POSITIVE_INFINITY;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[xo + j]);
        }
        return min;
    }

    /** The largest value of the block of 32 at {@code xo}. */
    private static float max(float[] x, int xo) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < 32; j++) {
            max = Math.max(max, x[xo + j]);
        }
        return max;
    }

    /** The value of largest magnitude in the block, with its sign (the first one on ties). */
    private static float signedExtreme(float[] x, int xo) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            if (Math.abs(x[xo + j]) > amax) {
                amax = Math.abs(x[xo + j]);
                max = x[xo + j];
            }
        }
        return max;
    }

    static void putF16(byte[] out, int at, float v) {
        short h = Float.floatToFloat16(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >>> 8);
    }

    static void putI32(byte[] out, int at, int v) {
        for (int k = 0; k < 4; k++) {
            out[at + k] = (byte) (v >>> (8 * k));
        }
    }
}
