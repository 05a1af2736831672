package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.kernel.TileSizes.Backward.CHUNK_ROWS;
import static dev.hyperattention4j.kernel.TileSizes.Backward.QUERY_TILE;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashBackward;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.kernel.BackwardInputs;
import dev.hyperattention4j.kernel.BackwardKernel;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * The backward pass of HyperAttention (docs/DESIGN.md §2.7) with the forward's schedule held fixed.
 * Every merge of the forward is an exact log-add-exp, so each final output row i is one softmax over a multiset of
 * (key j, weight w): its sorted block's keys (w = 1), its unmasked samples (w = n_k/m of that call, duplicates
 * repeated), over every causal level and its exact leaf. With the <em>final</em> O and L,
 *
 * <pre>
 *   P_ij = w·exp(s·q_i·k_j − L_i);  Δ_i = dO_i·O_i − dL_i
 *   dV_j += P_ij·dO_i;  G_ij = P_ij·(dO_i·v_j − Δ_i);  dQ_i += s·Σ_j G_ij·k_j;  dK_j += s·G_ij·q_i
 * </pre>
 *
 * which is ordinary exact attention backward per part, with {@code L_i − log w} in place of L_i. This class replays
 * the forward's {@link HyperSchedule} (the same object the forward executed): the same leaves, passes, sorts and
 * draws, and runs each part on the {@link BackwardKernel}. Parallel units are
 * (call-head, block); each writes its dQ rows (disjoint within a pass) and per-unit dK/dV partials, which are then
 * scattered into the gradients in parallel over (batch, KV head, stripe of key rows), each row receiving its
 * partials in a fixed order: deterministic for any thread count.
 * Memory per pass: O(B·H_call·(n_k + blocks·m)·d) floats of partials, no n×n buffer.
 */
final class HyperBackward {
    /**
     * Key-row stripes per (batch, KV head) of the dK/dV scatter; 0 = automatic. Results do not depend on it; it
     * exists to measure the parallel scatter against a single stripe (the former serial scatter) in one JVM.
     */
    static volatile int scatterStripes = Integer.getInteger("ha4j.hyper.scatterStripes", 0);

    private HyperBackward() {}

    /**
     * What the forward pass fixed: its schedule (sort keys, partition, every draw) and the rows ({@code lse}
     * indices, ascending) that {@link ExactFallback} recomputed exactly.
     */
    record Saved(HyperSchedule schedule, int[] fallbackRows) {}

    static Gradients run(HyperConfig cfg, WorkerPool pool, AttentionProblem p, FloatTensor outputGrad, float[] lseGrad,
                         Saved saved) {
        FlashBackward.checkArguments(p, outputGrad, lseGrad);
        HyperSchedule schedule = saved.schedule();
        schedule.checkFits(p);
        Gradients grads = Gradients.zerosLike(p);
        float[] delta = FlashBackward.delta(pool, p, outputGrad, lseGrad);
        // a fallback row's output is exact attention: its estimate parts get L = +inf (probability 0) and its
        // gradient comes from the exact backward below
        float[] estimateLse = p.logSumExp();
        if (saved.fallbackRows().length > 0) {
            estimateLse = estimateLse.clone();
            for (int r : saved.fallbackRows()) {
                estimateLse[r] = Float.POSITIVE_INFINITY;
            }
        }
        Run run = new Run(cfg, pool, p, outputGrad, delta, estimateLse, grads, schedule);
        HyperSchedule.Leaves leaves = schedule.leaves();
        if (leaves != null) {
            FlashBackward.Session exact = new FlashBackward(pool).session(p, outputGrad, estimateLse, delta, grads,
                    leaves.length(), leaves.length());
            for (int b = 0; b < p.batch(); b++) {
                for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                    for (int s = 0; s < leaves.start().length; s++) {
                        int len = leaves.real()[s], from = leaves.start()[s];
                        if (len > 0) {
                            exact.accumulate(b, kvh, from, len, from, len, true);
                        }
                    }
                }
            }
        }
        for (HyperSchedule.Pass pass : schedule.passes()) {
            run.pass(pass);
        }
        fallbackRows(pool, p, outputGrad, delta, grads, saved.fallbackRows());
        return grads;
    }

    /**
     * Exact backward of the fallback rows: per (batch, KV group), one exact sub-problem over the rows from the
     * group's first to its last fallback row (keys up to the last one's causal limit), with L = +inf (probability
     * 0) for every row in that range that did not fall back. At most one exact backward's work; usually nothing.
     */
    private static void fallbackRows(WorkerPool pool, AttentionProblem p, FloatTensor outputGrad, float[] delta,
                                     Gradients grads, int[] rows) {
        if (rows.length == 0) {
            return;
        }
        float[] exactLse = new float[p.logSumExp().length];
        java.util.Arrays.fill(exactLse, Float.POSITIVE_INFINITY);
        int nq = p.queryLength(), nk = p.keyLength(), hq = p.queryHeads(), group = p.groupSize();
        int[] lo = new int[p.batch() * p.kvHeads()], hi = new int[lo.length];
        java.util.Arrays.fill(lo, Integer.MAX_VALUE);
        java.util.Arrays.fill(hi, -1);
        for (int r : rows) {
            exactLse[r] = p.logSumExp()[r];
            int bh = r / nq, i = r % nq, g = (bh / hq) * p.kvHeads() + (bh % hq) / group;
            lo[g] = Math.min(lo[g], i);
            hi[g] = Math.max(hi[g], i);
        }
        FlashBackward.Session exact = new FlashBackward(pool).session(p, outputGrad, exactLse, delta, grads, nq, nk);
        for (int g = 0; g < lo.length; g++) {
            if (hi[g] >= 0) {
                int keys = p.causal() ? hi[g] + 1 + (nk - nq) : nk;   // end-aligned: row hi sees keys <= hi + nk - nq
                exact.accumulate(g / p.kvHeads(), g % p.kvHeads(), lo[g], hi[g] - lo[g] + 1, 0, keys, p.causal());
            }
        }
    }

    /** Per-worker scratch: the kernel and packed buffers for a block part and a sample part. */
    private static final class Scratch {
        final BackwardKernel kernel;
        BackwardInputs block, samples;
        int[] queryRows = new int[0], sampleRows = new int[0], sampleSlots = new int[0];
        final SegmentSorter sorter = new SegmentSorter();
        float[] dq = new float[0];
        final float[] row;

        Scratch(int d) {
            kernel = new BackwardKernel(d);
            row = new float[kernel.rowScratch().length];
        }
    }

    /** One backward call; {@code scratch} holds one entry per worker, made on first use. */
    private record Run(HyperConfig cfg, WorkerPool pool, AttentionProblem p, FloatTensor outputGrad, float[] delta,
                       float[] lse, Gradients grads, HyperSchedule schedule, Scratch[] scratch) {
        Run(HyperConfig cfg, WorkerPool pool, AttentionProblem p, FloatTensor outputGrad, float[] delta, float[] lse,
            Gradients grads, HyperSchedule schedule) {
            this(cfg, pool, p, outputGrad, delta, lse, grads, schedule, new Scratch[pool.threads()]);
        }

        Scratch scratch(int worker) {
            Scratch s = scratch[worker];
            if (s == null) {
                s = scratch[worker] = new Scratch(p.headDim());
            }
            return s;
        }

        /** The backward of one pass of the forward: same geometry, sorts, draw and blocks. */
        void pass(HyperSchedule.Pass pass) {
            HyperSchedule.Geometry g = pass.geometry();
            int batch = p.batch(), heads = g.callHeads();
            int qTotal = g.qTotal(), kTotal = g.kTotal();
            int blocks = pass.blocks(), m = pass.sampleSize();
            boolean residual = pass.residual();
            int nk = p.keyLength(), hkv = p.kvHeads(), group = p.groupSize(), d = p.headDim();
            OwnBlockSamples ownBlock = cfg.compat().ownBlockSamples();

            // sorted orders, exactly as the forward: original row per sorted position, -1 for appended zero rows
            int[] qRows = new int[Math.multiplyExact(batch * heads, qTotal)];
            int[] kRows = new int[Math.multiplyExact(batch * heads, kTotal)];
            pool.run(batch * heads, (worker, c) -> {
                Scratch s = scratch(worker);
                int b = c / heads, j = c % heads;
                schedule.sortQueries(s.sorter, pass, p, b, j, qRows, c * qTotal);
                originalRows(qRows, c * qTotal, qTotal, g.qStart()[j], g.qReal()[j]);
                schedule.sortKeys(s.sorter, pass, p, b, j, kRows, c * kTotal);
                originalRows(kRows, c * kTotal, kTotal, g.kStart()[j], g.kReal()[j]);
            });
            final int[] sampleIdx = pass.draw();
            float logWeight = residual ? pass.logSampleWeight() : 0f;
            int dp = scratch(0).kernel.rowScratch().length;
            float[] keyPartK = new float[Math.multiplyExact(kRows.length, dp)];
            float[] keyPartV = new float[keyPartK.length];
            int sampleFloats = residual ? Math.multiplyExact(Math.multiplyExact(batch * heads * blocks, m), dp) : 0;
            float[] samplePartK = new float[sampleFloats], samplePartV = new float[sampleFloats];

            pool.run(batch * heads * blocks, (worker, unit) -> {
                Scratch s = scratch(worker);
                int c = unit / blocks, t = unit % blocks;
                int b = c / heads, j = c % heads, h = g.queryHead()[j], kvh = h / group;
                int p0 = pass.queryFrom(t), p1 = pass.queryTo(t);
                if (p0 >= p1 || g.qReal()[j] == 0) {
                    return;                          // nothing, or only appended zero rows: no gradient
                }
                int rows = p1 - p0, k0 = pass.keyFrom(t), k1 = pass.keyTo(t);
                int statBase = p.lseIndex(b, h, 0);
                if (s.queryRows.length < rows) {
                    s.queryRows = new int[rows];
                }
                System.arraycopy(qRows, c * qTotal + p0, s.queryRows, 0, rows);
                if (s.dq.length < rows * dp) {
                    s.dq = new float[rows * dp];
                }
                // block part: exact attention of the block's queries over the block's keys, weight 1
                s.block = ensure(s.block, rows, k1 - k0);
                s.block.reset(rows, k1 - k0);
                part(s, s.block, rows, b, h, kvh, kRows, c * kTotal + k0, statBase, 0f, false);
                System.arraycopy(s.block.keyGradients(), 0, keyPartK, (c * kTotal + k0) * dp, (k1 - k0) * dp);
                System.arraycopy(s.block.valueGradients(), 0, keyPartV, (c * kTotal + k0) * dp, (k1 - k0) * dp);
                // residual part: the block's queries over the unmasked samples, weight n_k/m (L − log w)
                if (residual) {
                    if (s.sampleRows.length < m) {
                        s.sampleRows = new int[m];
                        s.sampleSlots = new int[m];
                    }
                    int sampled = 0;
                    for (int i = 0; i < m; i++) {
                        int pos = sampleIdx[c * m + i];
                        if (ownBlock.sees(pass, pos, t)) {
                            s.sampleRows[sampled] = kRows[c * kTotal + pos];
                            s.sampleSlots[sampled++] = i;
                        }
                    }
                    if (sampled > 0) {
                        s.samples = ensure(s.samples, rows, m);
                        s.samples.reset(rows, sampled);
                        part(s, s.samples, rows, b, h, kvh, s.sampleRows, 0, statBase, logWeight, true);
                        float[] gk = s.samples.keyGradients(), gv = s.samples.valueGradients();
                        int base = unit * m;
                        for (int i = 0; i < sampled; i++) {
                            System.arraycopy(gk, i * dp, samplePartK, (base + s.sampleSlots[i]) * dp, dp);
                            System.arraycopy(gv, i * dp, samplePartV, (base + s.sampleSlots[i]) * dp, dp);
                        }
                    }
                }
                // dQ rows of this block are written by this unit only
                for (int r = 0; r < rows; r++) {
                    int i = s.queryRows[r];
                    if (i < 0) {
                        continue;
                    }
                    grads.query().readRow(b, h, i, s.row, 0);
                    for (int k = 0; k < d; k++) {
                        s.row[k] += p.scale() * s.dq[r * dp + k];
                    }
                    grads.query().writeRow(b, h, i, s.row, 0);
                }
            });

            if (residual) {
                sumOverBlocks(samplePartK, samplePartV, batch * heads, blocks, m * dp);
            }
            // scatter dK, dV partials into the gradients. Units are (batch, KV head, stripe of key rows): a unit adds
            // only into its own rows, so no two threads write the same row, and each row receives its partials in
            // the same order (call-head, position, sample) for any stripe or thread count: deterministic.
            int stripes = stripesFor(nk), stripeRows = (nk + stripes - 1) / stripes;
            pool.run(batch * hkv * stripes, (worker, u) -> {
                Scratch s = scratch(worker);
                int b = u / stripes / hkv, kvh = u / stripes % hkv;
                int r0 = u % stripes * stripeRows, r1 = Math.min(nk, r0 + stripeRows);
                for (int j = 0; j < heads; j++) {
                    int h = g.queryHead()[j], ks = g.kStart()[j];
                    if (h / group != kvh || g.qReal()[j] == 0 || ks >= r1 || ks + g.kReal()[j] <= r0) {
                        continue;
                    }
                    int c = b * heads + j;
                    for (int pos = 0; pos < kTotal; pos++) {
                        int row = kRows[c * kTotal + pos];
                        if (row >= r0 && row < r1) {        // (appended zero rows are -1)
                            addRow(grads.key(), b, kvh, row, keyPartK, (c * kTotal + pos) * dp, s.row);
                            addRow(grads.value(), b, kvh, row, keyPartV, (c * kTotal + pos) * dp, s.row);
                        }
                    }
                    if (residual) {
                        for (int i = 0; i < m; i++) {
                            int row = kRows[c * kTotal + sampleIdx[c * m + i]];
                            if (row >= r0 && row < r1) {
                                addRow(grads.key(), b, kvh, row, samplePartK, (c * blocks * m + i) * dp, s.row);
                                addRow(grads.value(), b, kvh, row, samplePartV, (c * blocks * m + i) * dp, s.row);
                            }
                        }
                    }
                }
            });
        }

        /**
         * Adds each call-head's per-block sample partials {@code [c][t][m·dp]} into its block 0 slot, blocks in
         * order (deterministic): the scatter then adds m rows per call-head instead of blocks·m. Sequential,
         * vectorisable reads instead of random row updates; parallel over (call-head, column range).
         */
        private void sumOverBlocks(float[] partK, float[] partV, int callHeads, int blocks, int width) {
            int chunk = 4096, chunks = (width + chunk - 1) / chunk;
            pool.run(callHeads * chunks, (worker, u) -> {
                int c = u / chunks, x0 = u % chunks * chunk, x1 = Math.min(width, x0 + chunk);
                int sum = c * blocks * width;
                for (int t = 1; t < blocks; t++) {
                    int from = sum + t * width;
                    for (int x = x0; x < x1; x++) {
                        partK[sum + x] += partK[from + x];
                        partV[sum + x] += partV[from + x];
                    }
                }
            });
        }

        /** Key-row stripes of the scatter: {@link #scatterStripes} when set, else up to 4 per thread, >= 512 rows each. */
        private int stripesFor(int nk) {
            int fixed = HyperBackward.scatterStripes;
            if (fixed > 0) {
                return Math.min(fixed, nk);
            }
            return Math.max(1, Math.min(4 * pool.threads(), nk / 512));
        }

        /**
         * Packs one part (the unit's {@code rows} queries; keys through {@code keyRows}), runs the kernel on it and
         * adds its dQ (unscaled) to {@code s.dq}, or stores it when {@code add} is false.
         */
        private void part(Scratch s, BackwardInputs in, int rows, int b, int h, int kvh, int[] keyRows, int keyBase,
                          int statBase, float lseShift, boolean add) {
            for (int t = 0; t < in.keyTiles(); t++) {
                in.packKeyTile(p.key(), p.value(), b, kvh, keyRows, keyBase, t, s.kernel.rowScratch());
            }
            in.packQueries(p.query(), outputGrad, lse, delta, statBase, lseShift, b, h, s.queryRows, 0, 0,
                    rows, p.scale());
            int dp = in.paddedDim(), blockTiles = CHUNK_ROWS / QUERY_TILE;
            for (int t0 = 0; t0 < in.queryTiles(); t0 += blockTiles) {
                int t1 = Math.min(in.queryTiles(), t0 + blockTiles);
                in.runChunk(s.kernel, 0, t0, t1, false);
                int from = t0 * QUERY_TILE * dp;
                int count = (Math.min(rows, t1 * QUERY_TILE) - t0 * QUERY_TILE) * dp;
                float[] partial = in.partials();
                if (add) {
                    for (int i = 0; i < count; i++) {
                        s.dq[from + i] += partial[i];
                    }
                } else {
                    System.arraycopy(partial, 0, s.dq, from, count);
                }
            }
        }

        private void addRow(FloatTensor t, int b, int h, int i, float[] src, int off, float[] row) {
            t.readRow(b, h, i, row, 0);
            for (int k = 0; k < p.headDim(); k++) {
                row[k] += src[off + k];
            }
            t.writeRow(b, h, i, row, 0);
        }

        private BackwardInputs ensure(BackwardInputs in, int queries, int keys) {
            if (in != null && in.queryCapacity() >= queries && in.keyCapacity() >= keys) {
                return in;
            }
            int q = Math.max(queries, in == null ? 0 : in.queryCapacity());
            int k = Math.max(keys, in == null ? 0 : in.keyCapacity());
            return new BackwardInputs(p.headDim(), q, k, 1);
        }
    }

    /** Segment-local indices (from the schedule's sort) to original rows, −1 for an appended zero row. */
    private static void originalRows(int[] rows, int offset, int total, int start, int real) {
        for (int q = offset; q < offset + total; q++) {
            int l = rows[q];
            rows[q] = l < real ? start + l : -1;
        }
    }
}
