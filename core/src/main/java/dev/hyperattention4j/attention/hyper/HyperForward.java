package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * One non-causal HyperAttention call (ALGORITHM.md §2.3) over a batch of "call-heads": the whole sequence of every
 * head for a plain non-causal call, or the lower-left blocks of every segment of one causal recursion level.
 *
 * <p>A call-head j (of {@code callHeads} per batch entry) reads query head {@code queryHead[j]}; its queries are
 * {@code qReal[j]} original rows starting at {@code qStart[j]}, followed by zero rows up to {@code qTotal} (the
 * causal recursion's odd-length padding), and likewise for its keys. Zero rows sort under key 0; a zero query's
 * output is never written, and a zero key can only be seen by zero queries (it is the last row of its segment), so
 * both are gathered from any valid row and their results are discarded.
 *
 * <p>Phases: (1) per call-head, stable counting sorts of the precomputed sort keys; (2) one sample draw
 * {@code [B][callHeads][m]} on the calling thread; (3) parallel units (call-head, query block): the exact block part
 * and the exact part over the block's unmasked samples, both through {@link FlashKernel}, merged by log-sum-exp and
 * written (or merged into the rows already there, for the causal recursion) in original row order.
 * Memory: O(B·callHeads·(qTotal + kTotal)) ints of permutations plus per-worker tile scratch.
 */
final class HyperPass {
    /** Prefetch gathered rows with {@link RowTouch} ({@code -Dha4j.hyper.touch=false} turns it off, to measure it). */
    static final boolean TOUCH = Boolean.parseBoolean(System.getProperty("ha4j.hyper.touch", "true"));
    /** Query rows per kernel call (the kernel walks them in its own row tiles). */
    static final int QUERY_CHUNK = 256;
    /** Rows of the per-worker output scratch {@code out1/lse1}, which the causal leaves also use per row tile. */
    static final int SCRATCH_ROWS = Math.max(QUERY_CHUNK, TileSizes.Flash.ROW_TILE);

    private HyperPass() {}

    /** Where the call-heads' rows live. Arrays are indexed by call-head j in {@code [0, callHeads)}. */
    record Geometry(int callHeads, int[] queryHead, int[] qStart, int[] qReal, int qTotal,
                    int[] kStart, int[] kReal, int kTotal) {

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

    /** Everything a pass reads and writes. {@code lse} is indexed like {@link AttentionProblem#lseIndex}. */
    record Context(AttentionProblem problem, float[] lse, int[] queryKeys, int[] keyKeys, int keyCount,
                   HyperConfig config, WorkerPool pool, HyperProfile profile) {}

    /** Per-worker scratch: the kernel, packed key sets and the two parts' rows. */
    static final class Scratch {
        final FlashKernel kernel;
        final PackedKeyValues blockKeys = new PackedKeyValues();
        final PackedKeyValues sampleKeys = new PackedKeyValues();
        final PackedKeyValues allSamples = new PackedKeyValues();
        Object samplePass;
        int sampleHead = -1;
        final float[] out1, out2, row;
        // rows: a query chunk here, or one row tile of the exact kernel in the causal leaves
        final float[] lse1 = new float[SCRATCH_ROWS], lse2 = new float[QUERY_CHUNK];
        final float[] c1 = new float[QUERY_CHUNK], c2 = new float[QUERY_CHUNK];
        int[] sampleRows = new int[0];
        int[] samplePositions = new int[0];
        final SegmentSorter sorter = new SegmentSorter();

        Scratch(int d) {
            kernel = new FlashKernel(d);
            out1 = new float[SCRATCH_ROWS * d];
            out2 = new float[QUERY_CHUNK * d];
            row = new float[PackedKeyValues.scratchLength(d)];   // packRange scratch
        }
    }

    /**
     * Runs the pass. With {@code mergeIntoOutput}, each written row is log-sum-exp merged into the output and lse
     * already there (which come first in the compatibility merge), else it overwrites them.
     */
    static void run(Context cx, Geometry g, SampleSource samples, boolean mergeIntoOutput, Scratch[] scratch) {
        run(cx, g, samples, mergeIntoOutput, scratch, false);
    }

    /**
     * With {@code exact}, every call-head is one exact block over all its keys in original order (no sort, no
     * draw): the reference's exact fallback of a non-causal call with nq &lt; minSeqLen inside the recursion.
     */
    static void run(Context cx, Geometry g, SampleSource samples, boolean mergeIntoOutput, Scratch[] scratch,
                    boolean exact) {
        AttentionProblem p = cx.problem();
        HyperConfig cfg = cx.config();
        int batch = p.batch(), heads = g.callHeads();
        int qTotal = g.qTotal(), kTotal = g.kTotal();
        int bk = exact ? kTotal : cfg.blockSize();
        int blocks = (kTotal + bk - 1) / bk;
        int bq = (int) ((((long) qTotal + bk - 1) / bk * bk + blocks - 1) / blocks);
        int m = cfg.sampleSize();
        boolean residual = !exact && m > 0 && qTotal > bq && kTotal > bk;

        // (1) sorted order of every call-head: qRows/kRows = original row to gather, qLocal = row within the segment
        int[] qRows = new int[Math.multiplyExact(batch * heads, qTotal)];
        int[] qLocal = new int[qRows.length];
        int[] kRows = new int[Math.multiplyExact(batch * heads, kTotal)];
        int nq = p.queryLength(), nk = p.keyLength(), hq = p.queryHeads(), hkv = p.kvHeads(), group = p.groupSize();
        cx.pool().run(batch * heads, (worker, c) -> {
            long t0 = now(cx);
            Scratch s = scratch(scratch, worker, p.headDim());
            int b = c / heads, j = c % heads, h = g.queryHead()[j];
            int keyCount = exact ? 1 : cx.keyCount();   // exact: every row under key 0 keeps the original order
            sortSegment(s, exact ? null : cx.queryKeys(), (b * hq + h) * nq, g.qStart()[j], g.qReal()[j], qTotal,
                    keyCount, qRows, qLocal, c * qTotal);
            sortSegment(s, exact ? null : cx.keyKeys(), (b * hkv + h / group) * nk, g.kStart()[j], g.kReal()[j],
                    kTotal, keyCount, kRows, null, c * kTotal);
            profile(cx, Phase.SORT, t0);
        });

        // (2) one draw for the whole call, before forking, so the thread count cannot change it
        int[] idx = residual ? samples.draw(batch, heads, m, kTotal) : null;
        float logWeight = (float) Math.log((double) kTotal / m);

        // (3) blocks
        int units = batch * heads * blocks;
        Object pass = new Object();                 // identifies this pass in the per-worker sample cache
        Phase blockPhase = exact ? Phase.EXACT : Phase.BLOCKS;   // an exact pass is no block-diagonal work
        int padKeys = cfg.compat().padKeys() && !exact ? blocks * bk - kTotal : 0;
        cx.pool().run(units, (worker, unit) -> {
            Scratch s = scratch(scratch, worker, p.headDim());
            int c = unit / blocks, t = unit % blocks;
            int b = c / heads, j = c % heads, h = g.queryHead()[j], kvh = h / group;
            int p0 = t * bq, p1 = Math.min(qTotal, p0 + bq);
            if (p0 >= p1) {
                return;
            }
            long a = now(cx);
            int k0 = t * bk, k1 = Math.min(kTotal, k0 + bk);
            if (TOUCH) {
                RowTouch.touch(p.key(), p.value(), b, kvh, kRows, c * kTotal + k0, c * kTotal + k1);
            }
            s.blockKeys.pack(p.key(), p.value(), b, kvh, kRows, c * kTotal + k0, c * kTotal + k1);
            PackedKeyValues sampleKeys = null;
            if (residual) {
                sampleKeys = sampleKeys(s, pass, c, t, idx, m, bk, kRows, kTotal, b, kvh, cfg, p);
            }
            profile(cx, Phase.GATHER, a);
            float logPad = (t == blocks - 1 && padKeys > 0) ? (float) Math.log(padKeys) : Float.NEGATIVE_INFINITY;
            int d = p.headDim();
            for (int c0 = p0; c0 < p1; c0 += QUERY_CHUNK) {
                int c1 = Math.min(p1, c0 + QUERY_CHUNK), rows = c1 - c0;
                a = now(cx);
                if (TOUCH) {
                    // the output rows too: they are written (and in the causal recursion read) after the kernel
                    RowTouch.touch(p.query(), p.output(), b, h, qRows, c * qTotal + c0, c * qTotal + c1);
                }
                s.kernel.packQueries(p.query(), b, h, qRows, c * qTotal + c0, c * qTotal + c1, p.scale());
                long a2 = now(cx);
                profile(cx, Phase.GATHER, a, a2);
                s.kernel.attend(s.blockKeys, 0, k1 - k0, FlashKernel.NO_MASK, s.out1, 0, s.lse1, 0);
                long a3 = now(cx);
                profile(cx, blockPhase, a2, a3);
                flops(cx, blockPhase, rows, k1 - k0, d);
                a = a3;
                if (sampleKeys != null && sampleKeys.length() > 0) {
                    s.kernel.attend(sampleKeys, 0, sampleKeys.length(), FlashKernel.NO_MASK, s.out2, 0, s.lse2, 0);
                    a = now(cx);
                    profile(cx, Phase.SAMPLES, a3, a);
                    flops(cx, Phase.SAMPLES, rows, sampleKeys.length(), d);
                }
                boolean merge2 = sampleKeys != null && sampleKeys.length() > 0;
                boolean compat = cfg.compat().epsMerge();
                if (logPad != Float.NEGATIVE_INFINITY) {
                    // zero padding keys of the reference: logit 0, value 0 (compatibility row 3)
                    for (int r = 0; r < rows; r++) {
                        float l = LogSumExpMerge.logAddExp(s.lse1[r], logPad);
                        scaleRow(s.out1, r * d, d, (float) Math.exp(s.lse1[r] - l));
                        s.lse1[r] = l;
                    }
                }
                if (merge2 || (residual && compat)) {
                    // (the reference merges even an empty residual: L1 - log(1 + eps))
                    if (!merge2) {
                        java.util.Arrays.fill(s.lse2, 0, rows, Float.NEGATIVE_INFINITY);
                    }
                    LogSumExpMerge.weights(s.lse1, s.lse2, logWeight, rows, compat, s.c1, s.c2, s.lse1);
                    for (int r = 0; r < rows; r++) {
                        LogSumExpMerge.combine(s.out1, r * d, s.c1[r], s.out2, r * d, s.c2[r], d);
                    }
                }
                if (mergeIntoOutput) {
                    // the causal recursion: the diagonal part already in the output comes first
                    for (int r = 0; r < rows; r++) {
                        int local = qLocal[c * qTotal + c0 + r];
                        s.lse2[r] = local < g.qReal()[j]
                                ? cx.lse()[p.lseIndex(b, h, g.qStart()[j] + local)] : 0f;
                    }
                    LogSumExpMerge.weights(s.lse2, s.lse1, 0f, rows, compat, s.c1, s.c2, s.lse1);
                }
                for (int r = 0; r < rows; r++) {
                    int local = qLocal[c * qTotal + c0 + r];
                    if (local >= g.qReal()[j]) {
                        continue;                       // an appended zero row: its result is dropped
                    }
                    int i = g.qStart()[j] + local;
                    if (mergeIntoOutput) {
                        p.output().readRow(b, h, i, s.row, 0);
                        LogSumExpMerge.combine(s.out1, r * d, s.c2[r], s.row, 0, s.c1[r], d);
                    }
                    p.output().writeRow(b, h, i, s.out1, r * d);
                    cx.lse()[p.lseIndex(b, h, i)] = s.lse1[r];
                }
                profile(cx, Phase.MERGE, a);
            }
        });
    }

    /**
     * The packed sample keys visible to query block t of call-head c. All m samples of the call-head are packed
     * once per worker, in the order of their sorted positions, and reused by its following blocks; so the samples a
     * block owns (expected m·b/n_k of them) are one run of that pack, and a block that owns some gets a copy of the
     * pack without that run (from cache, instead of gathering the rows again).
     */
    private static PackedKeyValues sampleKeys(Scratch s, Object pass, int c, int t, int[] idx, int m, int bk,
                                              int[] kRows, int kTotal, int b, int kvh, HyperConfig cfg,
                                              AttentionProblem p) {
        if (s.samplePass != pass || s.sampleHead != c) {
            if (s.sampleRows.length < m) {
                s.sampleRows = new int[m];
                s.samplePositions = new int[m];
            }
            System.arraycopy(idx, c * m, s.samplePositions, 0, m);
            java.util.Arrays.sort(s.samplePositions, 0, m);
            for (int i = 0; i < m; i++) {
                s.sampleRows[i] = kRows[c * kTotal + s.samplePositions[i]];
            }
            if (TOUCH) {
                RowTouch.touch(p.key(), p.value(), b, kvh, s.sampleRows, 0, m);
            }
            s.allSamples.pack(p.key(), p.value(), b, kvh, s.sampleRows, 0, m);
            s.samplePass = pass;
            s.sampleHead = c;
        }
        if (cfg.compat().countOwnBlock()) {
            return s.allSamples;
        }
        int own0 = firstAtLeast(s.samplePositions, m, t * bk);
        int own1 = firstAtLeast(s.samplePositions, m, (t + 1) * bk);
        if (own0 == own1) {
            return s.allSamples;
        }
        s.sampleKeys.packExcept(s.allSamples, own0, own1);
        return s.sampleKeys;
    }

    /** The first index i in {@code [0, n)} with {@code sorted[i] >= value}, or n. */
    private static int firstAtLeast(int[] sorted, int n, int value) {
        int lo = 0, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Stable sort of one segment: {@code real} rows from {@code start} (sort keys at {@code keys[keyBase + row]}),
     * then {@code total - real} zero rows (key 0). Writes the gather row (a valid row for zero rows) and, when
     * {@code local} is non-null, the index within the segment.
     */
    private static void sortSegment(Scratch s, int[] keys, int keyBase, int start, int real, int total, int keyCount,
                                    int[] rows, int[] local, int offset) {
        s.sorter.sort(keys, keyBase, start, real, total, keyCount, rows, offset);
        int stand = real > 0 ? start : 0;           // a segment of zero rows only may start past the end
        for (int p = offset; p < offset + total; p++) {
            int l = rows[p];
            if (local != null) {
                local[p] = l;
            }
            rows[p] = l < real ? start + l : stand; // any valid row stands in for a zero row
        }
    }

    private static void scaleRow(float[] x, int off, int d, float f) {
        for (int k = 0; k < d; k++) {
            x[off + k] *= f;
        }
    }

    static Scratch scratch(Scratch[] scratch, int worker, int d) {
        Scratch s = scratch[worker];
        if (s == null) {
            s = scratch[worker] = new Scratch(d);
        }
        return s;
    }

    /** A reading of the profile's clock, or 0 without a profile. */
    static long now(Context cx) {
        return cx.profile() != null ? cx.profile().now() : 0;
    }

    static void profile(Context cx, Phase phase, long start) {
        if (cx.profile() != null) {
            cx.profile().add(phase, cx.profile().now() - start);
        }
    }

    /** Counts the 4·rows·keys·d flops of one exact kernel call. */
    static void flops(Context cx, Phase phase, int rows, int keys, int d) {
        if (cx.profile() != null) {
            cx.profile().addFlops(phase, 4L * rows * keys * d);
        }
    }

    private static void profile(Context cx, Phase phase, long start, long end) {
        if (cx.profile() != null) {
            cx.profile().add(phase, end - start);
        }
    }
}
