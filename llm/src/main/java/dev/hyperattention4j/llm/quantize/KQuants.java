package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.quant.BlockQ2K;
import dev.hyperattention4j.llm.quant.BlockQ3K;
import dev.hyperattention4j.llm.quant.BlockQ4K;
import dev.hyperattention4j.llm.quant.BlockQ5K;
import dev.hyperattention4j.llm.quant.BlockQ6K;
import dev.hyperattention4j.llm.quant.PackedScales;

/**
 * Encoders of the K-quant super-blocks (256 weights). Each one fits every sub-block on its own
 * ({@link ScaleSearch}), quantises the sub-block scales (and minimums) against one f16 super-block scale, then
 * re-rounds every weight against the scale it will actually be decoded with. Field placement follows the layout
 * comments of the {@code Block*} classes.
 */
final class KQuants {
    private KQuants() {}

    /** Q2_K: 16 sub-blocks of 16, 2-bit levels, 4-bit scales and minimums; weights |x|, absolute error. */
    static void q2K(float[] x, int xo, byte[] out, int oo) {
        int[] levels = new int[256];
        float[] scales = new float[16], mins = new float[16], w = new float[16], min = new float[1];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                w[l] = Math.abs(x[xo + 16 * j + l]);
            }
            scales[j] = ScaleSearch.affine(x, xo + 16 * j, 16, w, 3, -0.5f, 0.1f, 15, true, levels, 16 * j, min);
            mins[j] = min[0];
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        int[] packed = new int[16];
        float d = 0, dmin = 0;
        if (maxScale > 0) {
            float inv = 15 / maxScale;
            for (int j = 0; j < 16; j++) {
                packed[j] = Rounding.halfEven(inv * scales[j]);
            }
            d = maxScale / 15;
        }
        if (maxMin > 0) {
            float inv = 15 / maxMin;
            for (int j = 0; j < 16; j++) {
                packed[j] |= Rounding.halfEven(inv * mins[j]) << 4;
            }
            dmin = maxMin / 15;
        }
        for (int j = 0; j < 16; j++) {
            out[oo + BlockQ2K.SCALES + j] = (byte) packed[j];
        }
        LegacyQuants.putF16(out, oo + BlockQ2K.D, d);
        LegacyQuants.putF16(out, oo + BlockQ2K.DMIN, dmin);
        float dq = Rounding.f16(d), dminq = Rounding.f16(dmin);
        for (int j = 0; j < 16; j++) {
            float dl = dq * (packed[j] & 15);
            if (dl == 0) {
                continue;
            }
            float ml = dminq * (packed[j] >>> 4);
            for (int l = 0; l < 16; l++) {
                levels[16 * j + l] = Rounding.clamp(Rounding.halfEven((x[xo + 16 * j + l] + ml) / dl), 0, 3);
            }
        }
        // weight i = 128h + 32p + l lives in bits 2p of qs[32h + l]
        for (int i = 0; i < 256; i++) {
            int h = i / 128, p = (i % 128) / 32, l = i % 32;
            out[oo + BlockQ2K.QS + 32 * h + l] |= (byte) (levels[i] << (2 * p));
        }
    }

    /** Q3_K: 16 sub-blocks of 16, 3-bit symmetric levels, signed 6-bit scales. */
    static void q3K(float[] x, int xo, byte[] out, int oo) {
        int[] levels = new int[256];
        float[] scales = subBlockScales(x, xo, 4, levels, ScaleSearch::symmetric3);
        float extreme = signedLargest(scales);
        int[] stored = new int[16]; // scale + 32, 0..63
        float d = 0;
        if (extreme != 0) {
            float inv = -32 / extreme;
            for (int j = 0; j < 16; j++) {
                stored[j] = Rounding.clamp(Rounding.halfEven(inv * scales[j]), -32, 31) + 32;
            }
            d = 1 / inv;
        } else {
            java.util.Arrays.fill(stored, 32);
        }
        for (int i = 0; i < 16; i++) {
            int low = stored[i] & 15, high = stored[i] >>> 4;
            out[oo + BlockQ3K.SCALES + (i % 8)] |= (byte) (i < 8 ? low : low << 4);
            out[oo + BlockQ3K.SCALES + 8 + i % 4] |= (byte) (high << (2 * (i / 4)));
        }
        LegacyQuants.putF16(out, oo + BlockQ3K.D, d);
        symmetricLevels(x, xo, Rounding.f16(d), stored, 32, 4, levels);
        // weight i = 128h + 32p + l: low bits in bits 2p of qs[32h + l], high bit in bit 4h + p of hmask[l]
        for (int i = 0; i < 256; i++) {
            int h = i / 128, p = (i % 128) / 32, l = i % 32;
            int level = levels[i];
            if (level > 3) {
                out[oo + BlockQ3K.HMASK + l] |= (byte) (1 << (4 * h + p));
                level -= 4;
            }
            out[oo + BlockQ3K.QS + 32 * h + l] |= (byte) (level << (2 * p));
        }
    }

    /** Q4_K: 8 sub-blocks of 32, 4-bit levels. */
    static void q4K(float[] x, int xo, byte[] out, int oo) {
        int[] levels = new int[256];
        fitQ45K(x, xo, 15, -1f, 0.1f, 20, levels, out, oo + BlockQ4K.D, oo + BlockQ4K.DMIN, oo + BlockQ4K.SCALES);
        for (int i = 0; i < 256; i++) {
            int g = i / 64, half = (i % 64) / 32, l = i % 32;
            out[oo + BlockQ4K.QS + 32 * g + l] |= (byte) (levels[i] << (4 * half));
        }
    }

    /** Q5_K: 8 sub-blocks of 32, 5-bit levels (high bit of weight i in bit j of qh[l]). */
    static void q5K(float[] x, int xo, byte[] out, int oo) {
        int[] levels = new int[256];
        fitQ45K(x, xo, 31, -0.5f, 0.1f, 15, levels, out, oo + BlockQ5K.D, oo + BlockQ5K.DMIN, oo + BlockQ5K.SCALES);
        for (int i = 0; i < 256; i++) {
            int g = i / 64, half = (i % 64) / 32, l = i % 32, j = 2 * g + half;
            out[oo + BlockQ5K.QS + 32 * g + l] |= (byte) ((levels[i] & 15) << (4 * half));
            out[oo + BlockQ5K.QH + l] |= (byte) ((levels[i] >>> 4) << j);
        }
    }

    /**
     * The shared part of Q4_K and Q5_K: per 32-weight sub-block an affine fit with weights mean|x|rms + |x|, six-bit
     * scales and minimums against f16 d and dmin, then the levels re-rounded against the decoded values.
     */
    private static void fitQ45K(float[] x, int xo, int nmax, float rmin, float rdelta, int steps, int[] levels,
                                byte[] out, int dAt, int dminAt, int scalesAt) {
        float[] scales = new float[8], mins = new float[8], w = new float[32], min = new float[1];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
            }
            float rms = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                w[l] = rms + Math.abs(x[xo + 32 * j + l]);
            }
            scales[j] = ScaleSearch.affine(x, xo + 32 * j, 32, w, nmax, rmin, rdelta, steps, false, levels, 32 * j,
                    min);
            mins[j] = min[0];
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float invScale = maxScale > 0 ? 63 / maxScale : 0;
        float invMin = maxMin > 0 ? 63 / maxMin : 0;
        int[] ls = new int[8], lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, Rounding.halfEven(invScale * scales[j]));
            lm[j] = Math.min(63, Rounding.halfEven(invMin * mins[j]));
        }
        PackedScales.pack(ls, lm, out, scalesAt);
        LegacyQuants.putF16(out, dAt, maxScale / 63);
        LegacyQuants.putF16(out, dminAt, maxMin / 63);
        float dq = Rounding.f16(maxScale / 63), dminq = Rounding.f16(maxMin / 63);
        for (int j = 0; j < 8; j++) {
            float dl = dq * ls[j];
            if (dl == 0) {
                continue;
            }
            float ml = dminq * lm[j];
            for (int l = 0; l < 32; l++) {
                levels[32 * j + l] = Rounding.clamp(Rounding.halfEven((x[xo + 32 * j + l] + ml) / dl), 0, nmax);
            }
        }
    }

    /** Q6_K: 16 sub-blocks of 16, 6-bit symmetric levels, signed 8-bit scales. */
    static void q6K(float[] x, int xo, byte[] out, int oo) {
        int[] levels = new int[256];
        float[] scales = subBlockScales(x, xo, 32, levels, ScaleSearch::symmetric);
        float extreme = signedLargest(scales);
        if (Math.abs(extreme) < ScaleSearch.GROUP_MAX_EPS) {
            return; // all zeros: d = 0, every field zero
        }
        float inv = -128 / extreme;
        int[] sc = new int[16];
        for (int j = 0; j < 16; j++) {
            sc[j] = Math.min(127, Rounding.halfEven(inv * scales[j]));
            out[oo + BlockQ6K.SCALES + j] = (byte) sc[j];
        }
        LegacyQuants.putF16(out, oo + BlockQ6K.D, 1 / inv);
        symmetricLevels(x, xo, Rounding.f16(1 / inv), sc, 0, 32, levels);
        // weight i = 128h + 32k + l: low nibble in ql[64h + 32(k % 2) + l] (high nibble for k >= 2),
        // two high bits in bits 2k of qh[32h + l]
        for (int i = 0; i < 256; i++) {
            int h = i / 128, k = (i % 128) / 32, l = i % 32;
            int level = levels[i];
            out[oo + BlockQ6K.QL + 64 * h + 32 * (k % 2) + l] |= (byte) ((level & 15) << (k < 2 ? 0 : 4));
            out[oo + BlockQ6K.QH + 32 * h + l] |= (byte) ((level >>> 4) << (2 * k));
        }
    }

    /**
     * The levels of Q3_K and Q6_K from their final scales: sub-block j (16 weights) has scale
     * dl = dq·(scales[j] - scaleBias) and levels clamp(round(x / dl), -nmax, nmax - 1) + nmax; a sub-block of scale 0
     * keeps the levels it has.
     */
    private static void symmetricLevels(float[] x, int xo, float dq, int[] scales, int scaleBias, int nmax,
                                        int[] levels) {
        for (int j = 0; j < 16; j++) {
            float dl = dq * (scales[j] - scaleBias);
            if (dl == 0) {
                continue;
            }
            for (int l = 0; l < 16; l++) {
                levels[16 * j + l] = Rounding.clamp(Rounding.halfEven(x[xo + 16 * j + l] / dl), -nmax, nmax - 1) + nmax;
            }
        }
    }

    /** A symmetric fit of n weights at xo to levels 0..2·nmax-1 in levels[lo..]; returns the scale. */
    @FunctionalInterface
    private interface SymmetricFit {
        float fit(float[] x, int xo, int n, int nmax, int[] levels, int lo);
    }

    /** The scales of the 16 sub-blocks of 16 weights, each fitted by {@code fit} (levels into levels[16j..]). */
    private static float[] subBlockScales(float[] x, int xo, int nmax, int[] levels, SymmetricFit fit) {
        float[] scales = new float[16];
        for (int j = 0; j < 16; j++) {
            scales[j] = fit.fit(x, xo + 16 * j, 16, nmax, levels, 16 * j);
        }
        return scales;
    }

    /** The scale of largest magnitude, with its sign (the first on ties; 0 for none). */
    private static float signedLargest(float[] scales) {
        float extreme = 0;
        for (float s : scales) {
            if (Math.abs(s) > Math.abs(extreme)) {
                extreme = s;
            }
        }
        return extreme;
    }
}
