package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.runtime.Linear;
import dev.hyperattention4j.llm.runtime.PanelLinear;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * The three matrix products of a linear layer's training step, all on the runtime's {@link PanelLinear} kernels:
 * forward {@code y = x·Wᵀ}, input gradient {@code dx = dy·W} (a panel of {@code Wᵀ}) and weight gradient
 * {@code dW += dyᵀ·x} (a panel of {@code xᵀ} applied to the rows of {@code dyᵀ}). Matrices are row-major and
 * contiguous.
 *
 * <p>Deterministic for any thread count: the panel kernels compute every output element as one FMA chain in input
 * order whatever the grouping of rows and tokens, and each output element is written by exactly one work unit.
 */
final class Matmul {
    /** Token rows per work unit. */
    private static final int CHUNK = 64;

    private Matmul() {
    }

    /** A panel of the row-major {@code [rows][cols]} matrix {@code m}. */
    static PanelLinear panel(float[] m, int rows, int cols) {
        return PanelLinear.of(m, rows, cols);
    }

    /** A panel of the transpose of the row-major {@code [rows][cols]} matrix {@code m} (so it is {@code [cols][rows]}). */
    static PanelLinear transposedPanel(float[] m, int rows, int cols) {
        return PanelLinear.ofTransposed(m, rows, cols, null);
    }

    /**
     * {@code out[t][o] = Σ_k x[t][k]·W[o][k]} for {@code t < n} (or {@code +=} when {@code accumulate}), where W is
     * the panel's matrix; {@code out} is {@code [n][W.rows()]} contiguous.
     */
    static void apply(PanelLinear w, float[] x, int n, float[] out, boolean accumulate, WorkerPool pool) {
        int rows = w.rows(), cols = w.cols(), stride = w.paddedRows();
        int units = (n + CHUNK - 1) / CHUNK;
        if (!accumulate && stride == rows) {   // whole SIMD blocks: the kernel writes the output rows in place
            pool.run(units, (worker, u) -> {
                int t0 = u * CHUNK, t1 = Math.min(n, t0 + CHUNK);
                w.apply(x, t0 * cols, cols, t1 - t0, out, t0 * rows, rows, null);
            });
            return;
        }
        pool.run(units, (worker, u) -> {
            int t0 = u * CHUNK, t1 = Math.min(n, t0 + CHUNK);
            float[] tmp = new float[(t1 - t0) * stride];
            w.apply(x, t0 * cols, cols, t1 - t0, tmp, 0, stride, null);
            for (int t = t0; t < t1; t++) {
                int src = (t - t0) * stride, dst = t * rows;
                if (accumulate) {
                    for (int o = 0; o < rows; o++) {
                        out[dst + o] += tmp[src + o];
                    }
                } else {
                    System.arraycopy(tmp, src, out, dst, rows);
                }
            }
        });
    }

    /**
     * The weight gradient of {@code y = x·Wᵀ}: {@code dW[o][k] += Σ_t dy[t][o]·x[t][k]} over n tokens, with
     * {@code dy} {@code [n][rows]} and {@code x} {@code [n][cols]}.
     */
    static void weightGradient(float[] dy, float[] x, int n, int rows, int cols, float[] dW, WorkerPool pool) {
        new WeightGradient().accumulate(dy, x, n, rows, cols, dW, pool);
    }

    /** Rows rounded up to the kernels' SIMD block. */
    static int padded(int rows) {
        return Linear.roundUp(rows, Linear.BLOCK);
    }
}
