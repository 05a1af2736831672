package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.kernel.AttentionRow;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Objects;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact attention for the small head dims of the shared models (8, 16): one query row at a time against its
 * visible keys, with SIMD lanes along the <em>keys</em>. Keys of each KV head are packed once per call transposed,
 * {@code [d][nk]}, so a score block of 16 keys is {@code Σ_c q_c · Kᵀ[c][j..j+16]} with no horizontal reduction
 * ({@link AttentionRow}; the session runs the same row kernel directly over its KV cache). The row's scores
 * (O(nk) scratch per worker, never O(nq·nk)), an exp pass, then the weighted sum of value rows. The masked part of
 * a causal problem is skipped. With d = 16 a tiled kernel whose lanes run along d wastes most of each Q·Kᵀ product on reductions;
 * this layout does not.
 *
 * <p>Work units are (query head, tile of {@link #ROWS} rows), claimed dynamically; every output row is computed by
 * one unit in a fixed key order, so results do not depend on the thread count.
 */
public final class RowwiseAttention implements Attention {
    static final int ROWS = 16;
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();

    private final WorkerPool pool;
    private final int maxRows;
    private final Attention longer;

    public RowwiseAttention(WorkerPool pool) {
        this(pool, Integer.MAX_VALUE, null);
    }

    /**
     * Rows up to {@code maxRows} query rows per call, {@code longer} above: this kernel reloads each key and value
     * for every 4 query rows, a tiled kernel keeps them in registers for many, which wins once rows are long (on
     * tinystories-656k: rowwise ~10 % faster than flash at 512 tokens, ~10 % slower at 2048).
     */
    public RowwiseAttention(WorkerPool pool, int maxRows, Attention longer) {
        this.pool = Objects.requireNonNull(pool, "pool");
        if (maxRows < 1 || (longer == null && maxRows != Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("maxRows must be >= 1 and needs a kernel for longer calls, got "
                    + maxRows + " and " + longer);
        }
        this.maxRows = maxRows;
        this.longer = longer;
    }

    /** Whether a call with this many query rows runs the row kernel (else the longer-call kernel). */
    public boolean rowsFor(int queryRows) {
        return longer == null || queryRows <= maxRows;
    }

    @Override
    public String name() {
        return longer == null ? "rowwise" : "rowwise<=" + maxRows + "," + longer.name();
    }

    @Override
    public void forward(AttentionProblem p) {
        if (!rowsFor(p.queryLength())) {
            longer.forward(p);
            return;
        }
        p.checkFinite();
        int d = p.headDim(), nq = p.queryLength(), nk = p.keyLength(), g = p.groupSize(), hq = p.queryHeads();
        int nkP = Linear.roundUp(nk, W);
        int kvHeads = p.kvHeads();
        for (int b = 0; b < p.batch(); b++) {
            float[] keysT = new float[kvHeads * d * nkP];
            float[] values = new float[kvHeads * nk * d];
            float[] row = new float[d];
            for (int h = 0; h < kvHeads; h++) {
                for (int j = 0; j < nk; j++) {
                    p.key().readRow(b, h, j, row, 0);
                    for (int c = 0; c < d; c++) {
                        keysT[(h * d + c) * nkP + j] = row[c];
                    }
                    p.value().readRow(b, h, j, values, (h * nk + j) * d);
                }
            }
            int tiles = (nq + ROWS - 1) / ROWS;
            float[][] scores = new float[pool.threads()][];
            float[][] qs = new float[pool.threads()][];
            float[][] outs = new float[pool.threads()][];
            final int bb = b;
            pool.run(hq * tiles, (worker, unit) -> {
                if (scores[worker] == null) {
                    scores[worker] = new float[nkP];
                    qs[worker] = new float[d];
                    outs[worker] = new float[d];
                }
                // later tiles see more keys: hand them out first for a better balance
                int h = unit % hq;
                int tile = tiles - 1 - unit / hq;
                int kvh = h / g;
                for (int i = tile * ROWS; i < Math.min(nq, tile * ROWS + ROWS); i++) {
                    int visible = Math.min(nk, p.lastVisibleKey(i) + 1);
                    float lse = Float.NEGATIVE_INFINITY;
                    if (visible <= 0) {
                        java.util.Arrays.fill(outs[worker], 0f);
                    } else {
                        p.query().readRow(bb, h, i, qs[worker], 0);
                        lse = row(qs[worker], keysT, kvh * d * nkP, nkP, values, kvh * nk * d, d, visible, p.scale(),
                                scores[worker], outs[worker]);
                    }
                    p.output().writeRow(bb, h, i, outs[worker], 0);
                    if (p.logSumExp() != null) {
                        p.logSumExp()[p.lseIndex(bb, h, i)] = lse;
                    }
                }
            });
        }
    }

    /** One query row against keys [0, n): the vector kernel once compiled, its bit-identical scalar twin before. */
    static float row(float[] q, float[] keysT, int kBase, int kStride, float[] values, int vBase, int d, int n,
                     float scale, float[] s, float[] out) {
        return KernelWarmup.ready()
                ? AttentionRow.row(q, 0, keysT, kBase, kStride, values, vBase, d, n, scale, s, out, 0)
                : AttentionRow.rowScalar(q, 0, keysT, kBase, kStride, values, vBase, d, n, scale, s, out, 0);
    }
}
