package dev.hyperattention4j.llm.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of float weight rows (a tile decoded by {@link BlockKernel#expand}) with token rows: the
 * single-token kernel of {@link QuantLinear} for types without a fused dot (prefill uses {@link PrefillKernel}).
 * 4 rows × 4 tokens keep 16 accumulators, and each step loads 4 weight and 4 token vectors for 16 FMAs. Every
 * (row, token) pair has its own accumulator fed in column order, reduced by {@link Vectors#sum}, then a scalar
 * tail: the same bits as {@link BlockKernel#dot} and {@link #dotScalar}.
 */
final class RowDots {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();

    /** Floats of the accumulator buffer of {@link #apply} (at least {@link BlockKernel#LANES}). */
    static final int LANES = 16 * W;

    private RowDots() {
    }

    /**
     * {@code out[outOff + t·outStride + r] = Σ_k w[r·cols + k]·x[xOff + t·xStride + k]} for r in [0, rows) (at most
     * 4) and t in [0, tokens).
     */
    static void apply(float[] w, int rows, int cols, float[] x, int xOff, int xStride, int tokens, float[] out,
                      int outOff, int outStride, float[] lanes, int lanesOff) {
        int t = 0;
        int bound = S.loopBound(cols);
        if (rows == 4) {
            for (; t + 4 <= tokens; t += 4) {
                int xb = xOff + t * xStride;
                k4x4(w, cols, x, xb, xStride, lanes, lanesOff);
                for (int tt = 0; tt < 4; tt++) {
                    for (int r = 0; r < 4; r++) {
                        out[outOff + (t + tt) * outStride + r] = tail(w, r * cols, x, xb + tt * xStride, bound, cols,
                                Vectors.sumLanes(lanes, lanesOff + (4 * r + tt) * W));
                    }
                }
            }
        }
        if (rows == 4) {
            for (; t < tokens; t++) {
                int xb = xOff + t * xStride;
                k4x1(w, cols, x, xb, bound, lanes, lanesOff);
                for (int r = 0; r < 4; r++) {
                    out[outOff + t * outStride + r] = tail(w, r * cols, x, xb, bound, cols,
                            Vectors.sumLanes(lanes, lanesOff + r * W));
                }
            }
        }
        for (; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                int xb = xOff + t * xStride;
                k1x1(w, r * cols, x, xb, bound, lanes, lanesOff);
                out[outOff + t * outStride + r] = tail(w, r * cols, x, xb, bound, cols,
                        Vectors.sumLanes(lanes, lanesOff));
            }
        }
    }

    /** 4 rows × 1 token: four independent FMA chains (one token: decode, or the tail of a batch). */
    private static void k4x1(float[] w, int n, float[] x, int xOff, int bound, float[] lanes, int lanesOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < bound; k += W) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + k);
            a0 = FloatVector.fromArray(S, w, k).fma(v, a0);
            a1 = FloatVector.fromArray(S, w, n + k).fma(v, a1);
            a2 = FloatVector.fromArray(S, w, 2 * n + k).fma(v, a2);
            a3 = FloatVector.fromArray(S, w, 3 * n + k).fma(v, a3);
        }
        a0.intoArray(lanes, lanesOff);
        a1.intoArray(lanes, lanesOff + W);
        a2.intoArray(lanes, lanesOff + 2 * W);
        a3.intoArray(lanes, lanesOff + 3 * W);
    }

    private static void k1x1(float[] w, int wOff, float[] x, int xOff, int bound, float[] lanes, int lanesOff) {
        FloatVector a = FloatVector.zero(S);
        for (int k = 0; k < bound; k += W) {
            a = FloatVector.fromArray(S, w, wOff + k).fma(FloatVector.fromArray(S, x, xOff + k), a);
        }
        a.intoArray(lanes, lanesOff);
    }

    /** {@link #dot} with scalar code, lane by lane (the cold-start path). */
    static float dotScalar(float[] w, int wOff, float[] x, int xOff, int cols, float[] lanes) {
        int bound = cols / W * W;
        java.util.Arrays.fill(lanes, 0, W, 0f);
        for (int k = 0; k < bound; k += W) {
            for (int l = 0; l < W; l++) {
                lanes[l] = Math.fma(w[wOff + k + l], x[xOff + k + l], lanes[l]);
            }
        }
        return tail(w, wOff, x, xOff, bound, cols, Vectors.sumScalar(lanes));
    }

    private static float tail(float[] w, int wOff, float[] x, int xOff, int from, int cols, float sum) {
        for (int k = from; k < cols; k++) {
            sum = Math.fma(w[wOff + k], x[xOff + k], sum);
        }
        return sum;
    }

    private static void k4x4(float[] w, int n, float[] x, int xb, int xs, float[] l, int lo) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int bound = S.loopBound(n);
        int w1 = n, w2 = 2 * n, w3 = 3 * n;
        int x1 = xb + xs, x2 = xb + 2 * xs, x3 = xb + 3 * xs;
        for (int k = 0; k < bound; k += W) {
            FloatVector v0 = FloatVector.fromArray(S, x, xb + k), v1 = FloatVector.fromArray(S, x, x1 + k);
            FloatVector v2 = FloatVector.fromArray(S, x, x2 + k), v3 = FloatVector.fromArray(S, x, x3 + k);
            FloatVector r = FloatVector.fromArray(S, w, k);
            a00 = r.fma(v0, a00); a01 = r.fma(v1, a01); a02 = r.fma(v2, a02); a03 = r.fma(v3, a03);
            r = FloatVector.fromArray(S, w, w1 + k);
            a10 = r.fma(v0, a10); a11 = r.fma(v1, a11); a12 = r.fma(v2, a12); a13 = r.fma(v3, a13);
            r = FloatVector.fromArray(S, w, w2 + k);
            a20 = r.fma(v0, a20); a21 = r.fma(v1, a21); a22 = r.fma(v2, a22); a23 = r.fma(v3, a23);
            r = FloatVector.fromArray(S, w, w3 + k);
            a30 = r.fma(v0, a30); a31 = r.fma(v1, a31); a32 = r.fma(v2, a32); a33 = r.fma(v3, a33);
        }
        // accumulator a_rt (weight row r, token t) to lanes[(4r + t)·W ..]
        a00.intoArray(l, lo); a01.intoArray(l, lo + W); a02.intoArray(l, lo + 2 * W); a03.intoArray(l, lo + 3 * W);
        a10.intoArray(l, lo + 4 * W); a11.intoArray(l, lo + 5 * W); a12.intoArray(l, lo + 6 * W);
        a13.intoArray(l, lo + 7 * W);
        a20.intoArray(l, lo + 8 * W); a21.intoArray(l, lo + 9 * W); a22.intoArray(l, lo + 10 * W);
        a23.intoArray(l, lo + 11 * W);
        a30.intoArray(l, lo + 12 * W); a31.intoArray(l, lo + 13 * W); a32.intoArray(l, lo + 14 * W);
        a33.intoArray(l, lo + 15 * W);
    }
}
