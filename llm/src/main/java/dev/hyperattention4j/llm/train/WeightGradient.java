package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.runtime.Linear;
import dev.hyperattention4j.runtime.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a linear layer {@code y = x·Wᵀ}: {@code dW[o][k] += Σ_t dy[t][o]·x[t][k]}, straight from
 * the row-major activations, without transposing or repacking them.
 *
 * <p>The register tile is 8 rows of dW by two vectors of columns (16 accumulators): per token, two vector loads of the
 * row {@code x[t]}, eight broadcasts of {@code dy[t][o..o+8)} and 16 FMAs. Tokens are taken in blocks of
 * {@link #TOKENS}, so the block's slice of x stays in L1 while every row group of the work unit passes over it; the
 * accumulators are parked in a per-worker tile between blocks.
 *
 * <p>Every element is one FMA chain over the tokens in order, started from zero and added to {@code dW} at the end:
 * the same value whatever the vector width, the tile shapes or the thread count (work units own disjoint rows).
 */
final class WeightGradient {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();
    /** dW rows per work unit. */
    private static final int UNIT_ROWS = 32;
    /** Tokens per block. */
    private static final int TOKENS = 256;

    private WeightGradient() {
    }

    /**
     * {@code dW[o][k] += Σ_{t<n} dy[t][o]·x[t][k]} with {@code dy} {@code [n][rows]}, {@code x} {@code [n][cols]} and
     * {@code dW} {@code [rows][cols]}, all row-major and contiguous.
     */
    static void accumulate(float[] dy, float[] x, int n, int rows, int cols, float[] dW, WorkerPool pool) {
        int units = (rows + UNIT_ROWS - 1) / UNIT_ROWS;
        float[][] tiles = new float[pool.threads()][UNIT_ROWS * cols];
        pool.run(units, (worker, u) -> {
            int o0 = u * UNIT_ROWS, o1 = Math.min(rows, o0 + UNIT_ROWS);
            float[] acc = tiles[worker];
            java.util.Arrays.fill(acc, 0, (o1 - o0) * cols, 0f);
            for (int t0 = 0; t0 < n; t0 += TOKENS) {
                int t1 = Math.min(n, t0 + TOKENS);
                block(dy, x, rows, cols, o0, o1, t0, t1, acc);
            }
            for (int o = o0; o < o1; o++) {
                int a = (o - o0) * cols, d = o * cols;
                for (int k = 0; k < cols; k++) {
                    dW[d + k] += acc[a + k];
                }
            }
        });
    }

    /** Continues the chains of rows [o0, o1) (parked in {@code acc}, {@code [o1-o0][cols]}) over tokens [t0, t1). */
    private static void block(float[] dy, float[] x, int rows, int cols, int o0, int o1, int t0, int t1, float[] acc) {
        int k = 0;
        for (; k + 2 * W <= cols; k += 2 * W) {
            int o = o0;
            for (; o + 8 <= o1; o += 8) {
                k8x2(dy, x, rows, cols, o, k, t0, t1, acc, (o - o0) * cols + k);
            }
            for (; o < o1; o++) {
                k1x2(dy, x, rows, cols, o, k, t0, t1, acc, (o - o0) * cols + k);
            }
        }
        for (; k + W <= cols; k += W) {
            for (int o = o0; o < o1; o++) {
                k1x1(dy, x, rows, cols, o, k, t0, t1, acc, (o - o0) * cols + k);
            }
        }
        for (; k < cols; k++) {
            for (int o = o0; o < o1; o++) {
                int a = (o - o0) * cols + k;
                float s = acc[a];
                for (int t = t0; t < t1; t++) {
                    s = Math.fma(x[t * cols + k], dy[t * rows + o], s);
                }
                acc[a] = s;
            }
        }
    }

    private static void k8x2(float[] dy, float[] x, int rows, int cols, int o, int k, int t0, int t1, float[] acc,
                             int a) {
        int c = cols;
        FloatVector a00 = FloatVector.fromArray(S, acc, a), a01 = FloatVector.fromArray(S, acc, a + W);
        FloatVector a10 = FloatVector.fromArray(S, acc, a + c), a11 = FloatVector.fromArray(S, acc, a + c + W);
        FloatVector a20 = FloatVector.fromArray(S, acc, a + 2 * c), a21 = FloatVector.fromArray(S, acc, a + 2 * c + W);
        FloatVector a30 = FloatVector.fromArray(S, acc, a + 3 * c), a31 = FloatVector.fromArray(S, acc, a + 3 * c + W);
        FloatVector a40 = FloatVector.fromArray(S, acc, a + 4 * c), a41 = FloatVector.fromArray(S, acc, a + 4 * c + W);
        FloatVector a50 = FloatVector.fromArray(S, acc, a + 5 * c), a51 = FloatVector.fromArray(S, acc, a + 5 * c + W);
        FloatVector a60 = FloatVector.fromArray(S, acc, a + 6 * c), a61 = FloatVector.fromArray(S, acc, a + 6 * c + W);
        FloatVector a70 = FloatVector.fromArray(S, acc, a + 7 * c), a71 = FloatVector.fromArray(S, acc, a + 7 * c + W);
        for (int t = t0; t < t1; t++) {
            int xr = t * cols + k, d = t * rows + o;
            FloatVector w0 = FloatVector.fromArray(S, x, xr);
            FloatVector w1 = FloatVector.fromArray(S, x, xr + W);
            FloatVector v;
            v = FloatVector.broadcast(S, dy[d]); a00 = w0.fma(v, a00); a01 = w1.fma(v, a01);
            v = FloatVector.broadcast(S, dy[d + 1]); a10 = w0.fma(v, a10); a11 = w1.fma(v, a11);
            v = FloatVector.broadcast(S, dy[d + 2]); a20 = w0.fma(v, a20); a21 = w1.fma(v, a21);
            v = FloatVector.broadcast(S, dy[d + 3]); a30 = w0.fma(v, a30); a31 = w1.fma(v, a31);
            v = FloatVector.broadcast(S, dy[d + 4]); a40 = w0.fma(v, a40); a41 = w1.fma(v, a41);
            v = FloatVector.broadcast(S, dy[d + 5]); a50 = w0.fma(v, a50); a51 = w1.fma(v, a51);
            v = FloatVector.broadcast(S, dy[d + 6]); a60 = w0.fma(v, a60); a61 = w1.fma(v, a61);
            v = FloatVector.broadcast(S, dy[d + 7]); a70 = w0.fma(v, a70); a71 = w1.fma(v, a71);
        }
        a00.intoArray(acc, a); a01.intoArray(acc, a + W);
        a10.intoArray(acc, a + c); a11.intoArray(acc, a + c + W);
        a20.intoArray(acc, a + 2 * c); a21.intoArray(acc, a + 2 * c + W);
        a30.intoArray(acc, a + 3 * c); a31.intoArray(acc, a + 3 * c + W);
        a40.intoArray(acc, a + 4 * c); a41.intoArray(acc, a + 4 * c + W);
        a50.intoArray(acc, a + 5 * c); a51.intoArray(acc, a + 5 * c + W);
        a60.intoArray(acc, a + 6 * c); a61.intoArray(acc, a + 6 * c + W);
        a70.intoArray(acc, a + 7 * c); a71.intoArray(acc, a + 7 * c + W);
    }

    private static void k1x2(float[] dy, float[] x, int rows, int cols, int o, int k, int t0, int t1, float[] acc,
                             int a) {
        FloatVector a0 = FloatVector.fromArray(S, acc, a), a1 = FloatVector.fromArray(S, acc, a + W);
        for (int t = t0; t < t1; t++) {
            int xr = t * cols + k;
            FloatVector v = FloatVector.broadcast(S, dy[t * rows + o]);
            a0 = FloatVector.fromArray(S, x, xr).fma(v, a0);
            a1 = FloatVector.fromArray(S, x, xr + W).fma(v, a1);
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + W);
    }

    private static void k1x1(float[] dy, float[] x, int rows, int cols, int o, int k, int t0, int t1, float[] acc,
                             int a) {
        FloatVector a0 = FloatVector.fromArray(S, acc, a);
        for (int t = t0; t < t1; t++) {
            a0 = FloatVector.fromArray(S, x, t * cols + k).fma(FloatVector.broadcast(S, dy[t * rows + o]), a0);
        }
        a0.intoArray(acc, a);
    }
}
