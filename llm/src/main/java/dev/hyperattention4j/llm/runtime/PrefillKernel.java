package dev.hyperattention4j.llm.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill microkernel of {@link QuantLinear}: a tile of decoded weight rows (row-major, as
 * {@link BlockKernel#expand} writes them) times a batch of tokens held transposed, tokens in the lanes, in panels
 * of 2W tokens ({@link #transpose}). Each step loads two token vectors of column k and broadcasts the weight of
 * column k of 8 rows: 16 accumulators, 2 loads and 8 broadcasts per 16 FMAs, and no horizontal reduction at all.
 * Weights keep their natural layout (no transposition per tile); the activations are transposed once per call, which
 * costs a few operations per activation against hundreds of rows that reuse it.
 *
 * <p>Every output (row r, token t) is one lane of one accumulator fed in column order with
 * {@code acc = fma(w[r][k], x[t][k], acc)}: the same bits as the scalar chain of {@link #dotScalar}, whatever the
 * row grouping, the token grouping or the thread count. The accumulators pass through {@code acc} between
 * column tiles, which changes no bit.
 */
final class PrefillKernel {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();
    /** Weight rows per register block. */
    static final int ROWS = 8;
    /**
     * Tokens per transposed batch (a multiple of every vector width): a packed weight is decoded once per batch and
     * then multiplied with each of its tokens (as many as the session's largest tile, {@link LlamaSession#TILE}).
     */
    static final int TOKENS = 128;
    /** Weight rows decoded into one tile (a multiple of {@link #ROWS}): 64 KiB of floats at {@link #SPAN} columns. */
    static final int GROUP = 64;
    /**
     * Columns per span, a multiple of 256 (every block size divides it): one pass of the kernel over a panel of 2W
     * tokens reads 256 × 2W floats (32 KiB at 512 bits), which stays in L1 while the group's rows pass over it.
     */
    static final int SPAN = 256;

    private PrefillKernel() {
    }

    /** Columns multiplied at once: the whole row when it is short, else {@link #SPAN}. */
    static int span(int cols) {
        return cols <= SPAN ? cols : SPAN;
    }

    /** Token lanes for {@code tokens} tokens: rounded up to whole vectors. */
    static int lanes(int tokens) {
        return Linear.roundUp(tokens, W);
    }

    /** Tokens per panel of the transposed activations: two vectors. */
    static final int PANEL = 2 * W;

    /**
     * Transposes tokens [0, tokens) of x into panels of {@link #PANEL} tokens (the last one W wide when tp is an odd
     * number of vectors): token t = p·PANEL + i sits at {@code xt[xtOff + p·PANEL·cols + k·width + i]}. A panel's
     * columns are contiguous, so one pass of the kernel reads one run of memory, which stays in L1 from one group of
     * rows to the next (with a stride of tp floats between columns, the lines of a pass fell into a few cache sets
     * and were evicted); lanes from tokens to tp are zero.
     */
    static void transpose(float[] x, int xOff, int xStride, int tokens, int cols, float[] xt, int xtOff, int tp) {
        for (int p0 = 0; p0 < tp; p0 += PANEL) {
            int width = Math.min(PANEL, tp - p0);
            int base = xtOff + p0 * cols;
            int live = Math.min(width, tokens - p0);
            for (int i = 0; i < live; i++) {
                int xb = xOff + (p0 + i) * xStride;
                for (int k = 0; k < cols; k++) {
                    xt[base + k * width + i] = x[xb + k];
                }
            }
            if (live < width) {
                for (int k = 0; k < cols; k++) {
                    java.util.Arrays.fill(xt, base + k * width + live, base + (k + 1) * width, 0f);
                }
            }
        }
    }

    /**
     * {@code acc[accOff + r·tp + t] += Σ_{k < kc} w[wOff + r·ws + k]·x[t][k0 + k]} for r < rows and t < tp (tp a
     * multiple of the vector width), in column order, with x in the panels of {@link #transpose} ({@code cols}
     * columns each).
     */
    static void multiply(float[] w, int wOff, int ws, int rows, int kc, float[] xt, int xtOff, int cols, int k0,
                         int tp, float[] acc, int accOff) {
        // panels outer, rows inner: one panel's span (kc × 2W floats, contiguous) stays in L1 across the rows
        int j = 0;
        for (; j + PANEL <= tp; j += PANEL) {
            int xo = xtOff + j * cols + k0 * PANEL;
            int r = 0;
            for (; r + ROWS <= rows; r += ROWS) {
                k8x2(w, wOff + r * ws, ws, kc, xt, xo, acc, accOff + r * tp + j, tp);
            }
            for (; r < rows; r++) {
                k1x2(w, wOff + r * ws, kc, xt, xo, acc, accOff + r * tp + j);
            }
        }
        if (j < tp) {
            int xo = xtOff + j * cols + k0 * W;
            int r = 0;
            for (; r + ROWS <= rows; r += ROWS) {
                k8x1(w, wOff + r * ws, ws, kc, xt, xo, acc, accOff + r * tp + j, tp);
            }
            for (; r < rows; r++) {
                k1x1(w, wOff + r * ws, kc, xt, xo, acc, accOff + r * tp + j);
            }
        }
    }

    /** The scalar twin of one output: the chain of one lane of {@link #multiply} (the cold-start path). */
    static float dotScalar(float[] w, int wOff, float[] x, int xOff, int cols) {
        float acc = 0f;
        for (int k = 0; k < cols; k++) {
            acc = Math.fma(w[wOff + k], x[xOff + k], acc);
        }
        return acc;
    }

    /** 8 rows × 2 token vectors: 16 accumulators, rows 8 apart in {@code acc}'s stride tp. */
    private static void k8x2(float[] w, int wo, int ws, int kc, float[] xt, int xo, float[] acc, int ao, int tp) {
        FloatVector a00 = FloatVector.fromArray(S, acc, ao), a01 = FloatVector.fromArray(S, acc, ao + W);
        FloatVector a10 = FloatVector.fromArray(S, acc, ao + tp), a11 = FloatVector.fromArray(S, acc, ao + tp + W);
        FloatVector a20 = FloatVector.fromArray(S, acc, ao + 2 * tp);
        FloatVector a21 = FloatVector.fromArray(S, acc, ao + 2 * tp + W);
        FloatVector a30 = FloatVector.fromArray(S, acc, ao + 3 * tp);
        FloatVector a31 = FloatVector.fromArray(S, acc, ao + 3 * tp + W);
        FloatVector a40 = FloatVector.fromArray(S, acc, ao + 4 * tp);
        FloatVector a41 = FloatVector.fromArray(S, acc, ao + 4 * tp + W);
        FloatVector a50 = FloatVector.fromArray(S, acc, ao + 5 * tp);
        FloatVector a51 = FloatVector.fromArray(S, acc, ao + 5 * tp + W);
        FloatVector a60 = FloatVector.fromArray(S, acc, ao + 6 * tp);
        FloatVector a61 = FloatVector.fromArray(S, acc, ao + 6 * tp + W);
        FloatVector a70 = FloatVector.fromArray(S, acc, ao + 7 * tp);
        FloatVector a71 = FloatVector.fromArray(S, acc, ao + 7 * tp + W);
        int w1 = wo + ws, w2 = wo + 2 * ws, w3 = wo + 3 * ws, w4 = wo + 4 * ws, w5 = wo + 5 * ws, w6 = wo + 6 * ws;
        int w7 = wo + 7 * ws;
        for (int k = 0; k < kc; k++) {
            int xk = xo + k * PANEL;
            FloatVector x0 = FloatVector.fromArray(S, xt, xk), x1 = FloatVector.fromArray(S, xt, xk + W);
            FloatVector v;
            v = FloatVector.broadcast(S, w[wo + k]); a00 = x0.fma(v, a00); a01 = x1.fma(v, a01);
            v = FloatVector.broadcast(S, w[w1 + k]); a10 = x0.fma(v, a10); a11 = x1.fma(v, a11);
            v = FloatVector.broadcast(S, w[w2 + k]); a20 = x0.fma(v, a20); a21 = x1.fma(v, a21);
            v = FloatVector.broadcast(S, w[w3 + k]); a30 = x0.fma(v, a30); a31 = x1.fma(v, a31);
            v = FloatVector.broadcast(S, w[w4 + k]); a40 = x0.fma(v, a40); a41 = x1.fma(v, a41);
            v = FloatVector.broadcast(S, w[w5 + k]); a50 = x0.fma(v, a50); a51 = x1.fma(v, a51);
            v = FloatVector.broadcast(S, w[w6 + k]); a60 = x0.fma(v, a60); a61 = x1.fma(v, a61);
            v = FloatVector.broadcast(S, w[w7 + k]); a70 = x0.fma(v, a70); a71 = x1.fma(v, a71);
        }
        a00.intoArray(acc, ao); a01.intoArray(acc, ao + W);
        a10.intoArray(acc, ao + tp); a11.intoArray(acc, ao + tp + W);
        a20.intoArray(acc, ao + 2 * tp); a21.intoArray(acc, ao + 2 * tp + W);
        a30.intoArray(acc, ao + 3 * tp); a31.intoArray(acc, ao + 3 * tp + W);
        a40.intoArray(acc, ao + 4 * tp); a41.intoArray(acc, ao + 4 * tp + W);
        a50.intoArray(acc, ao + 5 * tp); a51.intoArray(acc, ao + 5 * tp + W);
        a60.intoArray(acc, ao + 6 * tp); a61.intoArray(acc, ao + 6 * tp + W);
        a70.intoArray(acc, ao + 7 * tp); a71.intoArray(acc, ao + 7 * tp + W);
    }

    /** 8 rows × 1 token vector (the last vector of an odd count). */
    private static void k8x1(float[] w, int wo, int ws, int kc, float[] xt, int xo, float[] acc, int ao, int tp) {
        FloatVector a0 = FloatVector.fromArray(S, acc, ao), a1 = FloatVector.fromArray(S, acc, ao + tp);
        FloatVector a2 = FloatVector.fromArray(S, acc, ao + 2 * tp), a3 = FloatVector.fromArray(S, acc, ao + 3 * tp);
        FloatVector a4 = FloatVector.fromArray(S, acc, ao + 4 * tp), a5 = FloatVector.fromArray(S, acc, ao + 5 * tp);
        FloatVector a6 = FloatVector.fromArray(S, acc, ao + 6 * tp), a7 = FloatVector.fromArray(S, acc, ao + 7 * tp);
        int w1 = wo + ws, w2 = wo + 2 * ws, w3 = wo + 3 * ws, w4 = wo + 4 * ws, w5 = wo + 5 * ws, w6 = wo + 6 * ws;
        int w7 = wo + 7 * ws;
        for (int k = 0; k < kc; k++) {
            FloatVector x0 = FloatVector.fromArray(S, xt, xo + k * W);
            a0 = x0.fma(FloatVector.broadcast(S, w[wo + k]), a0);
            a1 = x0.fma(FloatVector.broadcast(S, w[w1 + k]), a1);
            a2 = x0.fma(FloatVector.broadcast(S, w[w2 + k]), a2);
            a3 = x0.fma(FloatVector.broadcast(S, w[w3 + k]), a3);
            a4 = x0.fma(FloatVector.broadcast(S, w[w4 + k]), a4);
            a5 = x0.fma(FloatVector.broadcast(S, w[w5 + k]), a5);
            a6 = x0.fma(FloatVector.broadcast(S, w[w6 + k]), a6);
            a7 = x0.fma(FloatVector.broadcast(S, w[w7 + k]), a7);
        }
        a0.intoArray(acc, ao); a1.intoArray(acc, ao + tp); a2.intoArray(acc, ao + 2 * tp);
        a3.intoArray(acc, ao + 3 * tp); a4.intoArray(acc, ao + 4 * tp); a5.intoArray(acc, ao + 5 * tp);
        a6.intoArray(acc, ao + 6 * tp); a7.intoArray(acc, ao + 7 * tp);
    }

    /** One row × 2 token vectors (rows past the last group of 8). */
    private static void k1x2(float[] w, int wo, int kc, float[] xt, int xo, float[] acc, int ao) {
        FloatVector a0 = FloatVector.fromArray(S, acc, ao), a1 = FloatVector.fromArray(S, acc, ao + W);
        for (int k = 0; k < kc; k++) {
            FloatVector v = FloatVector.broadcast(S, w[wo + k]);
            a0 = FloatVector.fromArray(S, xt, xo + k * PANEL).fma(v, a0);
            a1 = FloatVector.fromArray(S, xt, xo + k * PANEL + W).fma(v, a1);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + W);
    }

    private static void k1x1(float[] w, int wo, int kc, float[] xt, int xo, float[] acc, int ao) {
        FloatVector a0 = FloatVector.fromArray(S, acc, ao);
        for (int k = 0; k < kc; k++) {
            a0 = FloatVector.fromArray(S, xt, xo + k * W).fma(FloatVector.broadcast(S, w[wo + k]), a0);
        }
        a0.intoArray(acc, ao);
    }
}
