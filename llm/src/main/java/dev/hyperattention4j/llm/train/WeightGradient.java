package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.runtime.Linear;
import dev.hyperattention4j.runtime.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a linear layer {@code y = x·Wᵀ}: {@code dW[o][k] += Σ_t dy[t][o]·x[t][k]}.
 *
 * <p>The register tile is 8 rows of dW by two vectors of columns (16 accumulators): per token, two vector loads of
 * x, eight broadcasts of dy and 16 FMAs. Read in place, both operands would be walked down a column with a stride
 * of a whole row (1 or 3 KiB for the usual widths), which maps every token to the same few L1 sets and ran at half
 * the speed of the forward product. So x is first copied into column panels {@code [cols / 2W][n][2W]} (once per
 * call, shared by every work unit) and each unit copies its 32 columns of dy into {@code [n][32]}: both are then
 * read sequentially. Tokens are taken in blocks of {@link #TOKENS}, so a block's panels stay in L1 while the unit's
 * four row groups pass over them; the accumulators are parked in a per-worker tile between blocks. An instance
 * keeps its buffers for the next call (one per {@link LlamaBackprop}; not for concurrent calls).
 *
 * <p>Every element is one FMA chain over the tokens in order, started from zero and added to {@code dW} at the end
 * (the zero padding of the panels only feeds lanes that are never written back): the same value whatever the vector
 * width, the tile shapes or the thread count (work units own disjoint rows).
 */
final class WeightGradient {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();
    /** Columns of one x panel: the two vectors of the register tile. */
    private static final int PANEL = 2 * W;
    /** dW rows per work unit: four register tiles of 8 rows. */
    private static final int UNIT_ROWS = 32;
    /** Tokens per block. */
    private static final int TOKENS = 256;

    /** Reused between calls (grown on demand): x's column panels, per worker the accumulator tile and dy's panel. */
    private float[] xp = new float[0];
    private float[][] tiles = new float[0][], dyPanels = new float[0][];

    /**
     * {@code dW[o][k] += Σ_{t<n} dy[t][o]·x[t][k]} with {@code dy} {@code [n][rows]}, {@code x} {@code [n][cols]} and
     * {@code dW} {@code [rows][cols]}, all row-major and contiguous.
     */
    void accumulate(float[] dy, float[] x, int n, int rows, int cols, float[] dW, WorkerPool pool) {
        int panels = (cols + PANEL - 1) / PANEL;
        int paddedCols = panels * PANEL;
        if (xp.length < Math.multiplyExact(paddedCols, n)) {
            xp = new float[paddedCols * n];
        }
        if (tiles.length < pool.threads() || tiles[0].length < UNIT_ROWS * paddedCols) {
            tiles = new float[pool.threads()][UNIT_ROWS * paddedCols];
            dyPanels = new float[pool.threads()][TOKENS * UNIT_ROWS];
        }
        float[] xp = this.xp;
        float[][] tiles = this.tiles, dyPanels = this.dyPanels;
        pool.run(panels, (worker, p) -> {
            int k0 = p * PANEL, width = Math.min(PANEL, cols - k0), base = p * n * PANEL;
            for (int t = 0; t < n; t++) {
                System.arraycopy(x, t * cols + k0, xp, base + t * PANEL, width);
                if (width < PANEL) {   // a reused buffer: the padding must be zero
                    java.util.Arrays.fill(xp, base + t * PANEL + width, base + (t + 1) * PANEL, 0f);
                }
            }
        });
        int units = (rows + UNIT_ROWS - 1) / UNIT_ROWS;
        pool.run(units, (worker, u) -> {
            int o0 = u * UNIT_ROWS, o1 = Math.min(rows, o0 + UNIT_ROWS), width = o1 - o0;
            float[] acc = tiles[worker], dyp = dyPanels[worker];
            java.util.Arrays.fill(acc, 0, UNIT_ROWS * paddedCols, 0f);
            if (width < UNIT_ROWS) {
                java.util.Arrays.fill(dyp, 0f);
            }
            for (int t0 = 0; t0 < n; t0 += TOKENS) {
                int t1 = Math.min(n, t0 + TOKENS);
                for (int t = t0; t < t1; t++) {
                    System.arraycopy(dy, t * rows + o0, dyp, (t - t0) * UNIT_ROWS, width);
                }
                for (int p = 0; p < panels; p++) {
                    int xBase = p * n * PANEL + t0 * PANEL;
                    for (int g = 0; g < width; g += 8) {
                        tile(dyp, g, xp, xBase, t1 - t0, acc, g * paddedCols + p * PANEL, paddedCols);
                    }
                }
            }
            for (int o = o0; o < o1; o++) {
                int a = (o - o0) * paddedCols, d = o * cols;
                for (int k = 0; k < cols; k++) {
                    dW[d + k] += acc[a + k];
                }
            }
        });
    }

    /**
     * Continues the chains of 8 rows × 2 vectors, parked in {@code acc} from {@code a} ({@code stride} apart), over
     * {@code tokens} tokens: dy of row {@code g + i} at {@code dyp[t·UNIT_ROWS + g + i]}, the two x vectors at
     * {@code xp[xBase + t·PANEL]}.
     */
    private static void tile(float[] dyp, int g, float[] xp, int xBase, int tokens, float[] acc, int a, int stride) {
        int c = stride;
        FloatVector a00 = FloatVector.fromArray(S, acc, a), a01 = FloatVector.fromArray(S, acc, a + W);
        FloatVector a10 = FloatVector.fromArray(S, acc, a + c), a11 = FloatVector.fromArray(S, acc, a + c + W);
        FloatVector a20 = FloatVector.fromArray(S, acc, a + 2 * c), a21 = FloatVector.fromArray(S, acc, a + 2 * c + W);
        FloatVector a30 = FloatVector.fromArray(S, acc, a + 3 * c), a31 = FloatVector.fromArray(S, acc, a + 3 * c + W);
        FloatVector a40 = FloatVector.fromArray(S, acc, a + 4 * c), a41 = FloatVector.fromArray(S, acc, a + 4 * c + W);
        FloatVector a50 = FloatVector.fromArray(S, acc, a + 5 * c), a51 = FloatVector.fromArray(S, acc, a + 5 * c + W);
        FloatVector a60 = FloatVector.fromArray(S, acc, a + 6 * c), a61 = FloatVector.fromArray(S, acc, a + 6 * c + W);
        FloatVector a70 = FloatVector.fromArray(S, acc, a + 7 * c), a71 = FloatVector.fromArray(S, acc, a + 7 * c + W);
        for (int t = 0; t < tokens; t++) {
            int xr = xBase + t * PANEL, d = t * UNIT_ROWS + g;
            FloatVector w0 = FloatVector.fromArray(S, xp, xr);
            FloatVector w1 = FloatVector.fromArray(S, xp, xr + W);
            FloatVector v;
            v = FloatVector.broadcast(S, dyp[d]); a00 = w0.fma(v, a00); a01 = w1.fma(v, a01);
            v = FloatVector.broadcast(S, dyp[d + 1]); a10 = w0.fma(v, a10); a11 = w1.fma(v, a11);
            v = FloatVector.broadcast(S, dyp[d + 2]); a20 = w0.fma(v, a20); a21 = w1.fma(v, a21);
            v = FloatVector.broadcast(S, dyp[d + 3]); a30 = w0.fma(v, a30); a31 = w1.fma(v, a31);
            v = FloatVector.broadcast(S, dyp[d + 4]); a40 = w0.fma(v, a40); a41 = w1.fma(v, a41);
            v = FloatVector.broadcast(S, dyp[d + 5]); a50 = w0.fma(v, a50); a51 = w1.fma(v, a51);
            v = FloatVector.broadcast(S, dyp[d + 6]); a60 = w0.fma(v, a60); a61 = w1.fma(v, a61);
            v = FloatVector.broadcast(S, dyp[d + 7]); a70 = w0.fma(v, a70); a71 = w1.fma(v, a71);
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
}
