package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import java.util.ArrayList;
import java.util.List;

/**
 * Every discrete choice of one HyperAttention call, fixed before any kernel runs: the sort keys of Q and K (sortLSH,
 * docs/DESIGN.md §2.2), the causal levels and their exact leaves (§2.5), and per non-causal pass its call-heads, its
 * block sizes and its sample draw (§2.3). It is built once per call from the configuration, the sort keys and the
 * sample source; {@link HyperForward} executes it and {@link HyperBackward} replays the same object, so the
 * partition (the block-row rule, the level table, the call geometry and the segment sort) is derived here only.
 *
 * <p>Passes are listed in execution order, which is the draw order of §3: for a causal call the deepest level first
 * (post-order). Memory: the sort keys (O(n) ints per head, which the call holds anyway), per pass O(call-heads) ints
 * of geometry and its draw of {@code B·callHeads·m} ints.
 */
final class HyperSchedule {
    private final int[] queryKeys;
    private final int[] keyKeys;
    private final int keyCount;
    private final Leaves leaves;
    private final List<Pass> passes;

    private HyperSchedule(int[] queryKeys, int[] keyKeys, int keyCount, Leaves leaves, List<Pass> passes) {
        this.queryKeys = queryKeys;
        this.keyKeys = keyKeys;
        this.keyCount = keyCount;
        this.leaves = leaves;
        this.passes = passes;
    }

    /**
     * Plans a call that HyperAttention approximates ({@link HyperAttention#isExact} false): takes every draw the
     * call needs from {@code samples}, in order, on the calling thread.
     *
     * @param queryKeys sort keys of Q, {@code [B][Hq][nq]}, each in {@code [0, keyCount)}
     * @param keyKeys   sort keys of K, {@code [B][Hkv][nk]}
     */
    static HyperSchedule plan(AttentionProblem p, HyperConfig cfg, int[] queryKeys, int[] keyKeys, int keyCount,
                              SampleSource samples) {
        int hq = p.queryHeads(), nq = p.queryLength(), nk = p.keyLength();
        List<Pass> passes = new ArrayList<>();
        Leaves leaves = null;
        if (p.causal()) {
            CausalRecursion.Levels levels = CausalRecursion.levels(nq, cfg.minSeqLen());
            int depth = levels.depth();
            leaves = new Leaves(levels.start()[depth], levels.real()[depth], levels.totals()[depth]);
            for (int l = depth - 1; l >= 0; l--) {
                int half = levels.totals()[l + 1];
                Geometry g = Geometry.offDiagonal(hq, l, levels.start(), levels.real(), half);
                // a lower-left block shorter than minSeqLen is exact (the non-causal rule) and draws nothing
                passes.add(Pass.plan(g, cfg, half < cfg.minSeqLen(), true, p.batch(), samples));
            }
        } else {
            passes.add(Pass.plan(Geometry.whole(hq, nq, nk), cfg, false, false, p.batch(), samples));
        }
        return new HyperSchedule(queryKeys, keyKeys, keyCount, leaves, List.copyOf(passes));
    }

    /** Fails when {@code p} is not shaped like the problem this schedule was planned for. */
    void checkFits(AttentionProblem p) {
        long q = (long) p.batch() * p.queryHeads() * p.queryLength(), k = (long) p.batch() * p.kvHeads() * p.keyLength();
        if (queryKeys.length != q || keyKeys.length != k || p.causal() != (leaves != null)) {
            throw new IllegalStateException("the saved schedule (" + queryKeys.length + " query and " + keyKeys.length
                    + " key sort keys, " + (leaves != null ? "causal" : "non-causal") + ") does not match this problem ("
                    + q + " query rows, " + k + " key rows, " + (p.causal() ? "causal" : "non-causal") + ")");
        }
    }

    int[] queryKeys() {
        return queryKeys;
    }

    int[] keyKeys() {
        return keyKeys;
    }

    int keyCount() {
        return keyCount;
    }

    /** The exact causal leaves, or null for a non-causal call. */
    Leaves leaves() {
        return leaves;
    }

    /** The non-causal passes in execution (and draw) order. */
    List<Pass> passes() {
        return passes;
    }

    /** Every draw the call took, in order (one per pass with a residual part). */
    List<int[]> draws() {
        List<int[]> draws = new ArrayList<>();
        for (Pass pass : passes) {
            if (pass.draw() != null) {
                draws.add(pass.draw());
            }
        }
        return draws;
    }

    /**
     * The stable sortLSH order of the queries of call-head {@code j} (batch entry b) of a pass: writes, for each
     * sorted position, the row's index within its segment ({@code >= qReal[j]}: an appended zero row) into
     * {@code local[offset .. offset + qTotal)}. An exact pass keeps the original order (every row under key 0).
     */
    void sortQueries(SegmentSorter sorter, Pass pass, AttentionProblem p, int b, int j, int[] local, int offset) {
        Geometry g = pass.geometry();
        int h = g.queryHead()[j];
        sorter.sort(pass.exact() ? null : queryKeys, (b * p.queryHeads() + h) * p.queryLength(), g.qStart()[j],
                g.qReal()[j], g.qTotal(), pass.exact() ? 1 : keyCount, local, offset);
    }

    /** As {@link #sortQueries}, for the keys of call-head {@code j}. */
    void sortKeys(SegmentSorter sorter, Pass pass, AttentionProblem p, int b, int j, int[] local, int offset) {
        Geometry g = pass.geometry();
        int kvh = g.queryHead()[j] / p.groupSize();
        sorter.sort(pass.exact() ? null : keyKeys, (b * p.kvHeads() + kvh) * p.keyLength(), g.kStart()[j],
                g.kReal()[j], g.kTotal(), pass.exact() ? 1 : keyCount, local, offset);
    }

    /**
     * The exact causal leaves: segment s covers rows {@code [start[s], start[s] + real[s])}; {@code length} is the
     * leaf length (real rows plus appended zero rows).
     */
    record Leaves(int[] start, int[] real, int length) {}

    /**
     * Where the call-heads of one pass read their rows. Arrays are indexed by call-head j in {@code [0, callHeads)}:
     * call-head j reads query head {@code queryHead[j]}; its queries are {@code qReal[j]} original rows from
     * {@code qStart[j]}, followed by zero rows up to {@code qTotal} (the causal recursion's odd-length padding), and
     * likewise its keys.
     */
    record Geometry(int callHeads, int[] queryHead, int[] qStart, int[] qReal, int qTotal,
                    int[] kStart, int[] kReal, int kTotal) {

        /** A plain non-causal call: call-head j is query head j, over all its rows. */
        static Geometry whole(int queryHeads, int nq, int nk) {
            int[] head = new int[queryHeads], zeros = new int[queryHeads];
            int[] qReal = new int[queryHeads], kReal = new int[queryHeads];
            for (int j = 0; j < queryHeads; j++) {
                head[j] = j;
            }
            java.util.Arrays.fill(qReal, nq);
            java.util.Arrays.fill(kReal, nk);
            return new Geometry(queryHeads, head, zeros, qReal, nq, zeros, kReal, nk);
        }

        /**
         * The off-diagonal (lower-left) calls of causal level {@code level}: call-head j is query head
         * {@code j >> level}, segment {@code s = j & (2^level - 1)}; its queries are the second half (child
         * {@code 2s+1}) and its keys the first half (child {@code 2s}) of that segment. {@code start}/{@code real}
         * hold each level's segment starts and real (unpadded) row counts; {@code half} is the child length.
         */
        static Geometry offDiagonal(int queryHeads, int level, int[][] start, int[][] real, int half) {
            int segs = 1 << level, callHeads = queryHeads * segs;
            int[] head = new int[callHeads], qs = new int[callHeads], qr = new int[callHeads];
            int[] ks = new int[callHeads], kr = new int[callHeads];
            int[] childStart = start[level + 1], childReal = real[level + 1];
            for (int j = 0; j < callHeads; j++) {
                int s = j & (segs - 1);
                head[j] = j >> level;
                ks[j] = childStart[2 * s];
                kr[j] = childReal[2 * s];
                qs[j] = childStart[2 * s + 1];
                qr[j] = childReal[2 * s + 1];
            }
            return new Geometry(callHeads, head, qs, qr, half, ks, kr, half);
        }
    }

    /**
     * One non-causal HyperAttention pass over a batch of call-heads (§2.3): the sorted keys are cut into
     * {@code blocks} blocks of {@code keyBlock} (b) keys and the sorted queries into as many blocks of
     * {@code queryBlock} rows; block t's queries attend exactly to block t's keys, and, when {@code residual}, to
     * the draw's samples outside block t, each weighted n_k/m. An exact pass is one block over all keys in original
     * order. With {@code mergeIntoOutput} (the causal levels) its rows merge into the diagonal part already in the
     * output.
     *
     * @param draw {@code [B][callHeads][m]} sorted key positions, or null without a residual part
     */
    record Pass(Geometry geometry, boolean exact, boolean mergeIntoOutput, int keyBlock, int blocks, int queryBlock,
                int sampleSize, boolean residual, int[] draw) {

        static Pass plan(Geometry g, HyperConfig cfg, boolean exact, boolean mergeIntoOutput, int batch,
                         SampleSource samples) {
            int qTotal = g.qTotal(), kTotal = g.kTotal();
            int bk = exact ? kTotal : cfg.blockSize();
            int blocks = (kTotal + bk - 1) / bk;
            // queries per block: ceil(ceil(nq/b)·b / blocks), which is b when nq == nk (§2.3)
            int bq = (int) ((((long) qTotal + bk - 1) / bk * bk + blocks - 1) / blocks);
            int m = cfg.sampleSize();
            boolean residual = !exact && m > 0 && qTotal > bq && kTotal > bk;
            int[] draw = residual ? samples.draw(batch, g.callHeads(), m, kTotal) : null;
            return new Pass(g, exact, mergeIntoOutput, bk, blocks, bq, m, residual, draw);
        }

        /** log(n_k/m): the weight of every sample in the residual estimate. */
        float logSampleWeight() {
            return (float) Math.log((double) geometry.kTotal() / sampleSize);
        }

        /** First sorted query position of block t. */
        int queryFrom(int t) {
            return t * queryBlock;
        }

        /** End (exclusive) of block t's sorted query positions (at most {@code queryFrom(t)}: an empty block). */
        int queryTo(int t) {
            return Math.min(geometry.qTotal(), queryFrom(t) + queryBlock);
        }

        /** First sorted key position of block t. */
        int keyFrom(int t) {
            return t * keyBlock;
        }

        /** End (exclusive) of block t's sorted key positions. */
        int keyTo(int t) {
            return Math.min(geometry.kTotal(), keyFrom(t) + keyBlock);
        }

        /** The block a sorted key position belongs to. */
        int blockOfKey(int position) {
            return position / keyBlock;
        }
    }
}
