package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.attention.hyper.HyperSchedule.Geometry;
import dev.hyperattention4j.attention.hyper.HyperSchedule.Pass;
import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.HyperBlockKernel;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * Executes a {@link HyperSchedule}: first the exact causal leaves ({@link CausalRecursion#exactLeaves}), then each
 * non-causal pass (docs/DESIGN.md §2.3) in the steps of the paper:
 * <ol>
 *   <li>{@link #sortLsh}: the stable bucket order of every call-head's queries and keys;</li>
 *   <li>{@link #blockDiagonal}: per block t of the sorted order, exact attention of its queries over its keys;</li>
 *   <li>{@link #sampledResidual}: the same queries over the pass's samples outside block t, each of weight
 *   n_k/m: with the block part this is the estimate of the row sums D (the paper's Algorithm 2) and of A·V;</li>
 *   <li>{@link #mergeParts}: the two parts merged by log-sum-exp (§2.4);</li>
 *   <li>{@link #mergeIntoCausalLevel} (the causal recursion, paper Algorithm 4): the lower-left block's rows merged
 *   into the diagonal part already in the output, then {@link #writeRows} in original row order.</li>
 * </ol>
 *
 * <p>A call-head's zero rows (the causal recursion's odd-length padding) sort under key 0; a zero query's output is
 * never written, and a zero key can only be seen by zero queries (it is the last row of its segment), so both are
 * gathered from any valid row and their results are discarded. Parallel units are (call-head, block); every exact
 * piece runs on {@link FlashKernel}. Memory: O(B·callHeads·(qTotal + kTotal)) ints of sorted order per pass plus
 * per-worker tile scratch.
 */
final class HyperForward {
    /** Prefetch gathered rows with {@link RowTouch} ({@code -Dha4j.hyper.touch=false} turns it off, to measure it). */
    static final boolean TOUCH = Boolean.parseBoolean(System.getProperty("ha4j.hyper.touch", "true"));
    /** Query rows per kernel call (the kernel walks them in its own row tiles). */
    static final int QUERY_CHUNK = 256;
    /** Rows of the per-worker output scratch {@code out1/lse1}, which the causal leaves also use per row tile. */
    static final int SCRATCH_ROWS = Math.max(QUERY_CHUNK, TileSizes.Flash.ROW_TILE);

    private HyperForward() {}

    /**
     * Everything a call reads and writes. {@code lse} is indexed like {@link AttentionProblem#lseIndex}; the
     * compatibility rules come from the configuration.
     */
    record Context(AttentionProblem problem, float[] lse, HyperSchedule schedule, HyperConfig config, WorkerPool pool,
                   PhaseClock clock) {
        LogSumExpMerge merge() {
            return config.compat().merge();
        }

        /** One parallel step on the call's pool (traced by a profile). */
        void run(int units, WorkerPool.UnitTask task) {
            clock.run(pool, units, task);
        }

        /**
         * Whether the passes run on {@link HyperBlockKernel} (block and sample parts in one pass, merged in its
         * epilogue): every profile with the exact merge and no padding keys. The reference's eps merge and padding
         * keys take the separate parts and merges of {@link #blockInParts}.
         */
        boolean fused() {
            HyperConfig.Compat c = config.compat();
            return c.merge() == LogSumExpMerge.EXACT && c.padding() == KeyPadding.NONE;
        }
    }

    /** Per-worker scratch: the kernel, packed key sets and the two parts' rows. */
    static final class Scratch {
        final FlashKernel kernel;
        final HyperBlockKernel blockKernel;
        /** A chunk's prior results (the causal level's diagonal part) in sorted order, for the fused merge. */
        final float[] prior, priorLse = new float[QUERY_CHUNK];
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
        /** The block being executed ({@link #packBlock}): a field, so that no block allocates. */
        final BlockSpan span = new BlockSpan();

        Scratch(int d) {
            kernel = new FlashKernel(d);
            blockKernel = new HyperBlockKernel(d);
            prior = new float[QUERY_CHUNK * d];
            out1 = new float[SCRATCH_ROWS * d];
            out2 = new float[QUERY_CHUNK * d];
            row = new float[PackedKeyValues.scratchLength(d)];   // packRange scratch
        }
    }

    /**
     * Where block t of call-head c stands: c, its batch entry b, call-head j, query head h, KV head kvh, its sorted
     * query positions {@code [p0, p1)} (offset {@code queryBase} in the pass's arrays), its sorted key positions
     * {@code [k0, k1)}, and the clock reading taken before its keys were packed.
     */
    static final class BlockSpan {
        int c, b, j, h, kvh, queryBase, p0, p1, k0, k1;
        long start;

        int keys() {
            return k1 - k0;
        }
    }

    /**
     * One execution of a pass: its sorted orders. {@code queryRows}/{@code keyRows} hold the original row to gather
     * for each sorted position of each call-head ({@code [B·callHeads][total]}), {@code queryLocal} the row's index
     * within its segment. The object also names this execution in the per-worker sample cache.
     */
    private record SortedPass(Pass pass, int[] queryRows, int[] queryLocal, int[] keyRows) {}

    /** Runs the whole schedule of the context. */
    static void run(Context cx, Scratch[] scratch) {
        HyperSchedule schedule = cx.schedule();
        if (schedule.leaves() != null) {
            CausalRecursion.exactLeaves(cx, schedule.leaves(), scratch);
        }
        for (Pass pass : schedule.passes()) {
            SortedPass sorted = sortLsh(cx, pass, scratch);
            int units = cx.problem().batch() * pass.geometry().callHeads() * pass.blocks();
            boolean fused = cx.fused();
            cx.run(units, (worker, unit) -> {
                Scratch s = scratch(scratch, worker, cx.problem().headDim());
                int t = unit % pass.blocks();
                if (!packBlock(cx, sorted, s, unit / pass.blocks(), t)) {
                    return;                             // a block without query rows
                }
                if (fused) {
                    block(cx, sorted, s, t);
                } else {
                    blockInParts(cx, sorted, s, t);
                }
            });
        }
    }

    /** Step 1: the sorted order of every call-head of the pass, in parallel over (batch entry, call-head). */
    private static SortedPass sortLsh(Context cx, Pass pass, Scratch[] scratch) {
        AttentionProblem p = cx.problem();
        Geometry g = pass.geometry();
        int heads = g.callHeads(), qTotal = g.qTotal(), kTotal = g.kTotal();
        int[] qRows = new int[Math.multiplyExact(p.batch() * heads, qTotal)];
        int[] qLocal = new int[qRows.length];
        int[] kRows = new int[Math.multiplyExact(p.batch() * heads, kTotal)];
        // queries and keys are separate units, so that a call with one head keeps two threads busy
        cx.run(2 * p.batch() * heads, (worker, unit) -> {
            long t0 = cx.clock().now();
            Scratch s = scratch(scratch, worker, p.headDim());
            int c = unit / 2, b = c / heads, j = c % heads;
            if (unit % 2 == 0) {
                cx.schedule().sortQueries(s.sorter, pass, p, b, j, qLocal, c * qTotal);
                gatherRows(qLocal, qRows, c * qTotal, qTotal, g.qStart()[j], g.qReal()[j]);
            } else {
                cx.schedule().sortKeys(s.sorter, pass, p, b, j, kRows, c * kTotal);
                gatherRows(kRows, kRows, c * kTotal, kTotal, g.kStart()[j], g.kReal()[j]);
            }
            cx.clock().add(Phase.SORT, t0);
        });
        return new SortedPass(pass, qRows, qLocal, kRows);
    }

    /** Segment-local indices to the original rows to gather; any valid row stands in for an appended zero row. */
    private static void gatherRows(int[] local, int[] rows, int offset, int total, int start, int real) {
        int stand = real > 0 ? start : 0;           // a segment of zero rows only may start past the end
        for (int q = offset; q < offset + total; q++) {
            int l = local[q];
            rows[q] = l < real ? start + l : stand;
        }
    }

    /**
     * Steps 2-5 for block t (packed by {@link #packBlock}) on {@link HyperBlockKernel}: per chunk of
     * {@link #QUERY_CHUNK} query rows, the block part, the sample part (the block's own samples masked in the
     * per-head sample pack) and one merge of both with the causal level's prior result, in the kernel's epilogue;
     * then the rows are written in original order.
     */
    private static void block(Context cx, SortedPass sorted, Scratch s, int t) {
        AttentionProblem p = cx.problem();
        Pass pass = sorted.pass();
        BlockSpan at = s.span;
        int b = at.b, h = at.h;
        long a = at.start;
        int m = pass.sampleSize(), hole0 = 0, hole1 = 0;
        if (pass.residual()) {
            packSamples(cx, sorted, s, at.c, b, at.kvh);
            if (cx.config().compat().ownBlockSamples() == OwnBlockSamples.MASKED) {
                // the samples are sorted by position, so those in block t are one run: masked in the kernel
                hole0 = firstAtLeast(s.samplePositions, m, pass.keyFrom(t));
                hole1 = firstAtLeast(s.samplePositions, m, pass.keyFrom(t + 1));
            }
        }
        Phase blockPhase = pass.exact() ? Phase.EXACT : Phase.BLOCKS;   // an exact pass is no block-diagonal work
        boolean merge = pass.mergeIntoOutput();
        int d = p.headDim();
        // one clock reading per phase boundary: a thread-CPU-time reading costs microseconds on some machines
        for (int c0 = at.p0; c0 < at.p1; c0 += QUERY_CHUNK) {
            int c1 = Math.min(at.p1, c0 + QUERY_CHUNK), rows = c1 - c0, from = at.queryBase + c0;
            if (TOUCH) {
                // the output rows too: they are written (and in the causal recursion read) after the kernel
                RowTouch.touch(p.query(), p.output(), b, h, sorted.queryRows(), from, from + rows);
            }
            s.blockKernel.packQueries(p.query(), b, h, sorted.queryRows(), from, from + rows, p.scale());
            if (merge) {
                readPrior(cx, s, sorted, b, h, at.j, from, rows);
            }
            a = cx.clock().lap(Phase.GATHER, a);
            s.blockKernel.blockPart(s.blockKeys, at.keys());
            a = cx.clock().lap(blockPhase, a);
            cx.clock().kernelFlops(blockPhase, rows, at.keys(), d);
            if (pass.residual() && hole1 - hole0 < m) {
                s.blockKernel.samplePart(s.allSamples, m, hole0, hole1);
                a = cx.clock().lap(Phase.SAMPLES, a);
                cx.clock().kernelFlops(Phase.SAMPLES, rows, m - (hole1 - hole0), d);
            }
            s.blockKernel.finish(pass.logSampleWeight(), merge ? s.prior : null, s.priorLse, s.out1, 0, s.lse1, 0);
            writeRows(cx, s, sorted, b, h, at.j, from, rows, false);
            a = cx.clock().lap(Phase.MERGE, a);
        }
    }

    /**
     * The steps' common start for block t of call-head c: its coordinates into {@code s.span}, and the block's keys
     * (in sorted order) packed into {@code s.blockKeys}. Returns false for a block without query rows (nothing to
     * do). {@code s.span.start} is the clock reading before the packing, which the caller counts as gathering.
     */
    private static boolean packBlock(Context cx, SortedPass sorted, Scratch s, int c, int t) {
        AttentionProblem p = cx.problem();
        Pass pass = sorted.pass();
        Geometry g = pass.geometry();
        BlockSpan at = s.span;
        int heads = g.callHeads(), kTotal = g.kTotal();
        at.p0 = pass.queryFrom(t);
        at.p1 = pass.queryTo(t);
        if (at.p0 >= at.p1) {
            return false;
        }
        at.c = c;
        at.b = c / heads;
        at.j = c % heads;
        at.h = g.queryHead()[at.j];
        at.kvh = at.h / p.groupSize();
        at.queryBase = c * g.qTotal();
        at.k0 = pass.keyFrom(t);
        at.k1 = pass.keyTo(t);
        at.start = cx.clock().now();
        int from = c * kTotal + at.k0, to = c * kTotal + at.k1;
        if (TOUCH) {
            RowTouch.touch(p.key(), p.value(), at.b, at.kvh, sorted.keyRows(), from, to);
        }
        s.blockKeys.pack(p.key(), p.value(), at.b, at.kvh, sorted.keyRows(), from, to);
        return true;
    }

    /** The prior results (the diagonal part already in the output) of a chunk's rows, in sorted order. */
    private static void readPrior(Context cx, Scratch s, SortedPass sorted, int b, int h, int j, int from, int rows) {
        Geometry g = sorted.pass().geometry();
        AttentionProblem p = cx.problem();
        int d = p.headDim();
        for (int r = 0; r < rows; r++) {
            int local = sorted.queryLocal()[from + r];
            if (local < g.qReal()[j]) {
                int i = g.qStart()[j] + local;
                p.output().readRow(b, h, i, s.prior, r * d);
                s.priorLse[r] = cx.lse()[p.lseIndex(b, h, i)];
            } else {
                java.util.Arrays.fill(s.prior, r * d, (r + 1) * d, 0f);   // an appended zero row: dropped later
                s.priorLse[r] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Steps 2-5 for block t (packed by {@link #packBlock}) with separate parts and merges (the reference's
     * compatibility profiles): the block's query rows, a chunk of {@link #QUERY_CHUNK} at a time.
     */
    private static void blockInParts(Context cx, SortedPass sorted, Scratch s, int t) {
        AttentionProblem p = cx.problem();
        Pass pass = sorted.pass();
        BlockSpan at = s.span;
        PackedKeyValues samples = pass.residual() ? residualKeys(cx, sorted, s, at.c, t, at.b, at.kvh) : null;
        cx.clock().add(Phase.GATHER, at.start);
        int b = at.b, h = at.h;
        float logPad = cx.config().compat().padding().logPaddingKeys(pass, t);
        Phase blockPhase = pass.exact() ? Phase.EXACT : Phase.BLOCKS;   // an exact pass is no block-diagonal work
        int d = p.headDim();
        for (int c0 = at.p0; c0 < at.p1; c0 += QUERY_CHUNK) {
            int rows = Math.min(at.p1, c0 + QUERY_CHUNK) - c0, from = at.queryBase + c0;
            long a = cx.clock().now();
            if (TOUCH) {
                // the output rows too: they are written (and in the causal recursion read) after the kernel
                RowTouch.touch(p.query(), p.output(), b, h, sorted.queryRows(), from, from + rows);
            }
            s.kernel.packQueries(p.query(), b, h, sorted.queryRows(), from, from + rows, p.scale());
            long a2 = cx.clock().now();
            cx.clock().add(Phase.GATHER, a, a2);
            blockDiagonal(cx, s, at.keys(), rows, blockPhase);
            boolean sampled = samples != null && samples.length() > 0;
            if (sampled) {
                sampledResidual(cx, s, samples, rows);
            }
            a = cx.clock().now();
            if (logPad != Float.NEGATIVE_INFINITY) {
                KeyPadding.addPaddingKeys(logPad, s.out1, s.lse1, rows, d);
            }
            mergeParts(cx, s, pass, sampled, rows);
            if (pass.mergeIntoOutput()) {
                mergeIntoCausalLevel(cx, s, sorted, b, h, at.j, from, rows);
            }
            writeRows(cx, s, sorted, b, h, at.j, from, rows, pass.mergeIntoOutput());
            cx.clock().add(Phase.MERGE, a);
        }
    }

    /** Step 2: the packed queries over the block's packed keys into {@code out1}/{@code lse1}. */
    private static void blockDiagonal(Context cx, Scratch s, int keys, int rows, Phase phase) {
        long t0 = cx.clock().now();
        s.kernel.attend(s.blockKeys, 0, keys, FlashKernel.NO_MASK, s.out1, 0, s.lse1, 0);
        cx.clock().add(phase, t0);
        cx.clock().kernelFlops(phase, rows, keys, cx.problem().headDim());
    }

    /** Step 3: the packed queries over the samples they see into {@code out2}/{@code lse2} (weight added at merge). */
    private static void sampledResidual(Context cx, Scratch s, PackedKeyValues samples, int rows) {
        long t0 = cx.clock().now();
        s.kernel.attend(samples, 0, samples.length(), FlashKernel.NO_MASK, s.out2, 0, s.lse2, 0);
        cx.clock().add(Phase.SAMPLES, t0);
        cx.clock().kernelFlops(Phase.SAMPLES, rows, samples.length(), cx.problem().headDim());
    }

    /**
     * Step 4: block part and residual part (its log-sum-exp raised by log(n_k/m)) merged into {@code out1}/
     * {@code lse1}. The reference's merge also runs when every sample was masked, with an empty part 2.
     */
    private static void mergeParts(Context cx, Scratch s, Pass pass, boolean sampled, int rows) {
        if (!sampled && !(pass.residual() && cx.merge().mergesEmptyResidual())) {
            return;
        }
        if (!sampled) {
            java.util.Arrays.fill(s.lse2, 0, rows, Float.NEGATIVE_INFINITY);
        }
        cx.merge().weights(s.lse1, s.lse2, pass.logSampleWeight(), rows, s.c1, s.c2, s.lse1);
        int d = cx.problem().headDim();
        for (int r = 0; r < rows; r++) {
            LogSumExpMerge.combine(s.out1, r * d, s.c1[r], s.out2, r * d, s.c2[r], d);
        }
    }

    /**
     * Step 5, causal levels only: the weights that merge these rows (part 2) into the diagonal part already in the
     * output (part 1, which comes first in the reference's merge); {@link #writeRows} applies them.
     */
    private static void mergeIntoCausalLevel(Context cx, Scratch s, SortedPass sorted, int b, int h, int j,
                                             int from, int rows) {
        Geometry g = sorted.pass().geometry();
        AttentionProblem p = cx.problem();
        for (int r = 0; r < rows; r++) {
            int local = sorted.queryLocal()[from + r];
            s.lse2[r] = local < g.qReal()[j] ? cx.lse()[p.lseIndex(b, h, g.qStart()[j] + local)] : 0f;
        }
        cx.merge().weights(s.lse2, s.lse1, 0f, rows, s.c1, s.c2, s.lse1);
    }

    /**
     * The chunk's real rows written (or, with {@code merge}, merged with the weights of
     * {@link #mergeIntoCausalLevel}) into the output in original row order.
     */
    private static void writeRows(Context cx, Scratch s, SortedPass sorted, int b, int h, int j, int from, int rows,
                                  boolean merge) {
        Geometry g = sorted.pass().geometry();
        AttentionProblem p = cx.problem();
        int d = p.headDim();
        for (int r = 0; r < rows; r++) {
            int local = sorted.queryLocal()[from + r];
            if (local >= g.qReal()[j]) {
                continue;                       // an appended zero row: its result is dropped
            }
            int i = g.qStart()[j] + local;
            if (merge) {
                p.output().readRow(b, h, i, s.row, 0);
                LogSumExpMerge.combine(s.out1, r * d, s.c2[r], s.row, 0, s.c1[r], d);
            }
            p.output().writeRow(b, h, i, s.out1, r * d);
            cx.lse()[p.lseIndex(b, h, i)] = s.lse1[r];
        }
    }

    /**
     * The packed sample keys visible to query block t of call-head c. All m samples of the call-head are packed
     * once per worker, in the order of their sorted positions, and reused by its following blocks; so the samples a
     * block owns (expected m·b/n_k of them) are one run of that pack, and a block that owns some gets a copy of the
     * pack without that run (from cache, instead of gathering the rows again).
     */
    private static PackedKeyValues residualKeys(Context cx, SortedPass sorted, Scratch s, int c, int t, int b,
                                                int kvh) {
        packSamples(cx, sorted, s, c, b, kvh);
        Pass pass = sorted.pass();
        int m = pass.sampleSize();
        if (cx.config().compat().ownBlockSamples() == OwnBlockSamples.COUNTED) {
            return s.allSamples;
        }
        // the samples are sorted by position, so those in block t are one run
        int own0 = firstAtLeast(s.samplePositions, m, pass.keyFrom(t));
        int own1 = firstAtLeast(s.samplePositions, m, pass.keyFrom(t + 1));
        if (own0 == own1) {
            return s.allSamples;
        }
        s.sampleKeys.packExcept(s.allSamples, own0, own1);
        return s.sampleKeys;
    }

    /**
     * All m samples of call-head c packed in {@code s.allSamples} in the order of their sorted positions (kept in
     * {@code s.samplePositions}): once per worker and call-head, then reused by the call-head's following blocks.
     */
    private static void packSamples(Context cx, SortedPass sorted, Scratch s, int c, int b, int kvh) {
        AttentionProblem p = cx.problem();
        Pass pass = sorted.pass();
        int m = pass.sampleSize(), kTotal = pass.geometry().kTotal();
        if (s.samplePass != sorted || s.sampleHead != c) {
            if (s.sampleRows.length < m) {
                s.sampleRows = new int[m];
                s.samplePositions = new int[m];
            }
            System.arraycopy(pass.draw(), c * m, s.samplePositions, 0, m);
            java.util.Arrays.sort(s.samplePositions, 0, m);
            for (int i = 0; i < m; i++) {
                s.sampleRows[i] = sorted.keyRows()[c * kTotal + s.samplePositions[i]];
            }
            if (TOUCH) {
                RowTouch.touch(p.key(), p.value(), b, kvh, s.sampleRows, 0, m);
            }
            s.allSamples.pack(p.key(), p.value(), b, kvh, s.sampleRows, 0, m);
            s.samplePass = sorted;
            s.sampleHead = c;
        }
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

    static Scratch scratch(Scratch[] scratch, int worker, int d) {
        Scratch s = scratch[worker];
        if (s == null) {
            s = scratch[worker] = new Scratch(d);
        }
        return s;
    }
}
