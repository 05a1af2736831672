package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact attention for the small head dims of the shared models (8, 16): one query row at a time against its
 * visible keys, with SIMD lanes along the <em>keys</em>. Keys of each KV head are packed once per call transposed,
 * {@code [d][nk]}, so a score block of 16 keys is {@code Σ_c q_c · Kᵀ[c][j..j+16]} with no horizontal reduction,
 * and four key blocks run at once to hide the FMA latency. The row's scores (O(nk) scratch per worker, never
 * O(nq·nk)), a vectorised exp pass, then the weighted sum of value rows. The masked part of a causal problem is
 * skipped. With d = 16 a tiled kernel whose lanes run along d wastes most of each Q·Kᵀ product on reductions;
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

    public RowwiseAttention(WorkerPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    @Override
    public String name() {
        return "rowwise";
    }

    @Override
    public void forward(AttentionProblem p) {
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

    /** One query row against keys [0, n); returns the natural-log normaliser. */
    static float row(float[] q, float[] keysT, int kBase, int kStride, float[] values, int vBase, int d, int n,
                     float scale, float[] s, float[] out) {
        int blocks = (n + W - 1) / W;
        int blk = 0;
        for (; blk + 4 <= blocks; blk += 4) {
            int j = blk * W;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                FloatVector qc = FloatVector.broadcast(S, q[c]);
                int kb = kBase + c * kStride + j;
                a0 = FloatVector.fromArray(S, keysT, kb).fma(qc, a0);
                a1 = FloatVector.fromArray(S, keysT, kb + W).fma(qc, a1);
                a2 = FloatVector.fromArray(S, keysT, kb + 2 * W).fma(qc, a2);
                a3 = FloatVector.fromArray(S, keysT, kb + 3 * W).fma(qc, a3);
            }
            a0.intoArray(s, j);
            a1.intoArray(s, j + W);
            a2.intoArray(s, j + 2 * W);
            a3.intoArray(s, j + 3 * W);
        }
        for (; blk < blocks; blk++) {
            int j = blk * W;
            FloatVector a0 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                a0 = FloatVector.fromArray(S, keysT, kBase + c * kStride + j).fma(FloatVector.broadcast(S, q[c]), a0);
            }
            a0.intoArray(s, j);
        }
        // scores are raw q·k (the scale is folded into the exp); padded lanes past n are excluded
        int bound = S.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(S, s, 0);
            for (j = W; j < bound; j += W) {
                m = m.max(FloatVector.fromArray(S, s, j));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) {
            max = Math.max(max, s[j]);
        }
        FloatVector scaleV = FloatVector.broadcast(S, scale);
        FloatVector shift = FloatVector.broadcast(S, -max * scale);
        FloatVector sumV = FloatVector.zero(S);
        for (j = 0; j < bound; j += W) {
            FloatVector e = FloatVector.fromArray(S, s, j).fma(scaleV, shift).lanewise(VectorOperators.EXP);
            e.intoArray(s, j);
            sumV = sumV.add(e);
        }
        float sum = Vectors.sum(sumV);
        for (; j < n; j++) {
            float e = (float) Math.exp(s[j] * scale - max * scale);
            s[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        if (d % W == 0) {
            for (int c0 = 0; c0 < d; c0 += W) {
                FloatVector o0 = FloatVector.zero(S), o1 = FloatVector.zero(S);
                int k = 0;
                for (; k + 2 <= n; k += 2) {
                    o0 = FloatVector.fromArray(S, values, vBase + k * d + c0).fma(FloatVector.broadcast(S, s[k]), o0);
                    o1 = FloatVector.fromArray(S, values, vBase + (k + 1) * d + c0)
                            .fma(FloatVector.broadcast(S, s[k + 1]), o1);
                }
                if (k < n) {
                    o0 = FloatVector.fromArray(S, values, vBase + k * d + c0).fma(FloatVector.broadcast(S, s[k]), o0);
                }
                o0.add(o1).mul(inv).intoArray(out, c0);
            }
        } else {
            java.util.Arrays.fill(out, 0, d, 0f);
            for (int k = 0; k < n; k++) {
                float w = s[k];
                int vb = vBase + k * d;
                for (int c = 0; c < d; c++) {
                    out[c] += w * values[vb + c];
                }
            }
            for (int c = 0; c < d; c++) {
                out[c] *= inv;
            }
        }
        return (float) (max * scale + Math.log(sum));
    }
}
