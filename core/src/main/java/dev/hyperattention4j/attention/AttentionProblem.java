package dev.hyperattention4j.attention;

import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One scaled dot-product attention call: {@code out = softmax(scale · Q·Kᵀ + mask) · V} per (batch, query head).
 *
 * <p>Layout: Q and O are {@code [B][Hq][nq][d]}; K and V are {@code [B][Hkv][nk][d]} with {@code Hq = g·Hkv}
 * (grouped-query attention: query head h reads KV head {@code h / g}). Query and key lengths may differ (cross
 * attention). When {@code causal}, the mask is aligned to the end, as in KV-cached decoding: query i sees key j iff
 * {@code j <= i + (nk - nq)}. A query row that sees no key (possible only when {@code nq > nk}) is <em>fully
 * masked</em>: its output row is zero and its log-sum-exp is {@code -Infinity}.
 *
 * <p>{@code logSumExp}, when not null, receives {@code [B][Hq][nq]} (contiguous) natural-log row normalisers
 * {@code L_i = log Σ_j exp(scale · q_i·k_j)} over the visible keys; two attentions over disjoint key sets merge
 * exactly through it (HyperAttention merges its parts and causal levels that way).
 *
 * @param scale softmax scale; {@link #defaultScale(int)} is {@code 1/sqrt(d)}
 */
public record AttentionProblem(FloatTensor query, FloatTensor key, FloatTensor value, FloatTensor output,
                               float[] logSumExp, float scale, boolean causal, NonFinitePolicy nonFinite) {

    public AttentionProblem {
        requireNonNull(query, "query", "[B][Hq][nq][d]");
        requireNonNull(key, "key", "[B][Hkv][nk][d]");
        requireNonNull(value, "value", "[B][Hkv][nk][d]");
        requireNonNull(output, "output", "[B][Hq][nq][d] like the query");
        if (nonFinite == null) {
            throw new IllegalArgumentException("nonFinite policy must not be null");
        }
        int d = query.dim();
        if (key.batch() != query.batch() || value.batch() != query.batch()) {
            throw new IllegalArgumentException("batch sizes differ: query " + query.shapeString() + ", key "
                    + key.shapeString() + ", value " + value.shapeString());
        }
        if (key.dim() != d) {
            throw new IllegalArgumentException("key " + key.shapeString() + " must have head dim " + d
                    + " like query " + query.shapeString());
        }
        if (value.heads() != key.heads() || value.length() != key.length() || value.dim() != d) {
            throw new IllegalArgumentException("value " + value.shapeString() + " must have shape [" + key.batch()
                    + "][" + key.heads() + "][" + key.length() + "][" + d + "] (key heads, key length, head dim)");
        }
        if (query.heads() % key.heads() != 0) {
            throw new IllegalArgumentException("query heads " + query.heads() + " must be a multiple of key/value heads "
                    + key.heads() + " (grouped-query attention)");
        }
        if (output.batch() != query.batch() || output.heads() != query.heads() || output.length() != query.length()
                || output.dim() != d) {
            throw new IllegalArgumentException("output " + output.shapeString() + " must have the query's shape "
                    + query.shapeString());
        }
        long rows = (long) query.batch() * query.heads() * query.length();
        if (logSumExp != null && logSumExp.length < rows) {
            throw new IllegalArgumentException("logSumExp has " + logSumExp.length + " entries; expected at least "
                    + rows + " = [B][Hq][nq] = " + query.batch() + "·" + query.heads() + "·" + query.length());
        }
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite and > 0, got " + scale);
        }
    }

    /** A non-causal problem with scale 1/sqrt(d), a fresh output tensor and no log-sum-exp. */
    public static AttentionProblem of(FloatTensor query, FloatTensor key, FloatTensor value) {
        requireNonNull(query, "query", "[B][Hq][nq][d]");
        FloatTensor out = FloatTensor.zeros(query.batch(), query.heads(), query.length(), query.dim());
        return new AttentionProblem(query, key, value, out, null, defaultScale(query.dim()), false,
                NonFinitePolicy.REJECT);
    }

    public static float defaultScale(int headDim) {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    public AttentionProblem withCausal(boolean c) {
        return new AttentionProblem(query, key, value, output, logSumExp, scale, c, nonFinite);
    }

    public AttentionProblem withScale(float s) {
        return new AttentionProblem(query, key, value, output, logSumExp, s, causal, nonFinite);
    }

    public AttentionProblem withOutput(FloatTensor o) {
        return new AttentionProblem(query, key, value, o, logSumExp, scale, causal, nonFinite);
    }

    /** Also compute the per-row log-sum-exp into a new {@code float[B·Hq·nq]}. */
    public AttentionProblem withLogSumExp() {
        return withLogSumExp(new float[Math.toIntExact((long) query.batch() * query.heads() * query.length())]);
    }

    public AttentionProblem withLogSumExp(float[] lse) {
        return new AttentionProblem(query, key, value, output, lse, scale, causal, nonFinite);
    }

    public AttentionProblem withNonFinite(NonFinitePolicy policy) {
        return new AttentionProblem(query, key, value, output, logSumExp, scale, causal, policy);
    }

    /**
     * Applies the {@link NonFinitePolicy}: with {@code REJECT}, throws an {@link IllegalArgumentException} naming
     * the first non-finite element of Q, K or V. Every {@link Attention} calls this at the start of a call, except
     * {@link FlashAttention}, which checks the data it packs anyway and calls this only to name a bad element.
     */
    public void checkFinite() {
        if (nonFinite == NonFinitePolicy.REJECT) {
            rejectNonFinite(query, "query");
            rejectNonFinite(key, "key");
            rejectNonFinite(value, "value");
        }
    }

    /**
     * {@link #checkFinite()} with the scan split over a pool's threads (O(n·d) from memory: 7 ms single-threaded
     * for Q, K and V at n = 131,072, d = 64, several percent of a HyperAttention call); a failed slice is then located
     * by the serial scan, so the error is the same.
     */
    public void checkFinite(WorkerPool pool) {
        if (nonFinite != NonFinitePolicy.REJECT) {
            return;
        }
        final FloatTensor[] tensors = {query, key, value};
        final int parts = 4 * pool.threads();
        final AtomicBoolean bad = new AtomicBoolean();
        pool.run(tensors.length * parts, (worker, unit) -> {
            if (!bad.get() && !tensors[unit / parts].allFinite(unit % parts, parts)) {
                bad.set(true);
            }
        });
        if (bad.get()) {
            checkFinite();
        }
    }

    public int batch() { return query.batch(); }
    public int queryHeads() { return query.heads(); }
    public int kvHeads() { return key.heads(); }
    public int queryLength() { return query.length(); }
    public int keyLength() { return key.length(); }
    public int headDim() { return query.dim(); }
    public int groupSize() { return query.heads() / key.heads(); }

    /** Index of row {@code [b][h][i]} in {@link #logSumExp}. */
    public int lseIndex(int b, int h, int i) {
        return (b * query.heads() + h) * query.length() + i;
    }

    /** Last key index visible to query row i: {@code i + nk - nq} when causal, else {@code nk - 1}. */
    public int lastVisibleKey(int i) {
        return causal ? i + keyLength() - queryLength() : keyLength() - 1;
    }

    /** Flop count used by the benchmarks: 4·nq·nk·d per head, about half of it when causal. */
    public double flops() {
        double perHead = 4.0 * queryLength() * keyLength() * headDim();
        return batch() * (double) queryHeads() * (causal ? perHead / 2 : perHead);
    }

    private static void requireNonNull(Object o, String name, String shape) {
        if (o == null) {
            throw new IllegalArgumentException(name + " must not be null; expected a tensor of shape " + shape);
        }
    }

    private static void rejectNonFinite(FloatTensor t, String name) {
        if (t.allFinite()) {
            return;     // the common case, vectorised; the slow scan below only locates the bad element
        }
        int[] at = t.firstNonFinite();
        if (at != null) {
            throw new IllegalArgumentException(name + " contains a non-finite value " + t.get(at[0], at[1], at[2], at[3])
                    + " at [" + at[0] + "][" + at[1] + "][" + at[2] + "][" + at[3] + "]; clean the input or use "
                    + "NonFinitePolicy.PROPAGATE");
        }
    }
}
