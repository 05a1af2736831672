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
        float d = signedExtreme(x, xo) / -8f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + BlockQ4_0.D, d);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[xo + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[xo + 16 + j] * id + 8.5f));
            out[oo + BlockQ4_0.QS + j] = (byte) (lo | hi << 4);
        }
    }

    /** Q4_1: m = min, d = (max - min) / 15, q = trunc((x - m) / d + 0.5) capped at 15. */
    static void q4_1(float[] x, int xo, byte[] out, int oo) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[xo + j]);
            max = Math.max(max, x[xo + j]);
        }
        float d = (max - min) / 15f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + BlockQ4_1.D, d);
        putF16(out, oo + BlockQ4_1.M, min);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) ((x[xo + j] - min) * id + 0.5f));
            int hi = Math.min(15, (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            out[oo + BlockQ4_1.QS + j] = (byte) (lo | hi << 4);
        }
    }

    /** Q5_0: d = extreme / -16, q = trunc(x / d + 16.5) capped at 31. */
    static void q5_0(float[] x, int xo, byte[] out, int oo) {
        float d = signedExtreme(x, xo) / -16f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + BlockQ5_0.D, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(31, (int) (x[xo + j] * id + 16.5f));
            int hi = Math.min(31, (int) (x[xo + 16 + j] * id + 16.5f));
            out[oo + BlockQ5_0.QS + j] = (byte) ((lo & 15) | (hi & 15) << 4);
            qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        putI32(out, oo + BlockQ5_0.QH, qh);
    }

    /** Q5_1: m = min, d = (max - min) / 31, q = trunc((x - m) / d + 0.5) capped at 31. */
    static void q5_1(float[] x, int xo, byte[] out, int oo) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[xo + j]);
            max = Math.max(max, x[xo + j]);
        }
        float d = (max - min) / 31f;
        float id = d != 0 ? 1f / d : 0f;
        putF16(out, oo + BlockQ5_1.D, d);
        putF16(out, oo + BlockQ5_1.M, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(31, (int) ((x[xo + j] - min) * id + 0.5f));
            int hi = Math.min(31, (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            out[oo + BlockQ5_1.QS + j] = (byte) ((lo & 15) | (hi & 15) << 4);
            qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        putI32(out, oo + BlockQ5_1.QH, qh);
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
