package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;

/**
 * Causal HyperAttention by recursive halving (paper Algorithm 4, docs/DESIGN.md §2.5), run level by level: the
 * level table that {@link HyperSchedule} plans from, and the exact leaves that {@link HyperForward} runs first.
 *
 * <p>Level ℓ splits every head into 2^ℓ segments of equal total length T_ℓ: T_0 = n and, while T_ℓ &gt; minSeqLen,
 * an odd T_ℓ gets one appended zero row and T_{ℓ+1} = ⌈T_ℓ/2⌉. A segment is a run of original rows followed by the
 * zero rows appended at higher levels (zeros only ever accumulate at the end), so it is described by its start row
 * and its count of real rows. The deepest level's segments are exact causal leaves. Going back up, level ℓ's
 * lower-left blocks (queries: second half, keys: first half of each segment) of all heads form one non-causal
 * pass over H·2^ℓ call-heads — call-head j is head j &gt;&gt; ℓ, segment j &amp; (2^ℓ−1), as in the
 * reference's batched recursion — whose rows are merged into the second halves' results. Processing the deepest
 * level first gives the post-order draw sequence (§3). A lower-left block shorter than minSeqLen is exact (the
 * non-causal rule), and draws nothing.
 */
final class CausalRecursion {
    private CausalRecursion() {}

    /** Segment totals per level: {@code totals[ℓ]} for ℓ = 0..depth; the last one is the leaf length. */
    static int[] levelTotals(int n, int minSeqLen) {
        int depth = 0;
        for (int t = n; t > minSeqLen; t = (t + 1) / 2) {
            depth++;
        }
        int[] totals = new int[depth + 1];
        totals[0] = n;
        for (int l = 1; l <= depth; l++) {
            totals[l] = (totals[l - 1] + 1) / 2;
        }
        return totals;
    }

    /**
     * The level table: {@code totals[ℓ]} segment length of level ℓ, and {@code start[ℓ][s]}, {@code real[ℓ][s]} the
     * first original row and the count of real (not appended) rows of its 2^ℓ segments; level {@link #depth()} holds
     * the exact leaves.
     */
    record Levels(int[] totals, int[][] start, int[][] real) {
        int depth() {
            return totals.length - 1;
        }
    }

    /** The levels of a causal call of n rows. */
    static Levels levels(int n, int minSeqLen) {
        int[] totals = levelTotals(n, minSeqLen);
        int depth = totals.length - 1;
        int[][] start = new int[depth + 1][];
        int[][] real = new int[depth + 1][];
        start[0] = new int[] {0};
        real[0] = new int[] {n};
        for (int l = 0; l < depth; l++) {
            int half = totals[l + 1];
            int segs = 1 << l;
            start[l + 1] = new int[2 * segs];
            real[l + 1] = new int[2 * segs];
            for (int s = 0; s < segs; s++) {
                start[l + 1][2 * s] = start[l][s];
                real[l + 1][2 * s] = Math.min(real[l][s], half);
                start[l + 1][2 * s + 1] = start[l][s] + half;
                real[l + 1][2 * s + 1] = Math.max(0, real[l][s] - half);
            }
        }
        return new Levels(totals, start, real);
    }

    /** Keys packed at a time for the leaves (one segment at least): bounds the call's buffer to a few MiB. */
    private static final int LEAF_KEYS = 16384;

    /**
     * Exact causal attention of every leaf segment's real rows (zero rows come last, so no real row sees them), on
     * the same parallel machinery as {@link dev.hyperattention4j.attention.FlashAttention}: per KV head and group of
     * segments (about {@link #LEAF_KEYS} keys), the keys are packed in parallel, each segment at a tile-aligned
     * offset, then one job runs every (segment, query tile, query head of the group) unit in that order, the largest
     * tiles of a segment first. (Interleaving the segments instead made every unit read its keys from memory: 20 %
     * slower at n = 131072.) The buffer is the call's own, so an instance keeps nothing of size n between calls.
     */
    static void exactLeaves(HyperForward.Context cx, HyperSchedule.Leaves leaves, HyperForward.Scratch[] scratch) {
        AttentionProblem p = cx.problem();
        int[] start = leaves.start(), real = leaves.real();
        int d = p.headDim(), group = p.groupSize(), segs = start.length;
        int leafLength = 0;
        for (int n : real) {
            leafLength = Math.max(leafLength, n);
        }
        final int keyTile = TileSizes.Flash.KEY_TILE, stride = (leafLength + keyTile - 1) / keyTile * keyTile;
        final int rowTile = TileSizes.Flash.ROW_TILE;
        final int tiles = (leafLength + rowTile - 1) / rowTile;
        final int segsPerPack = Math.max(1, LEAF_KEYS / stride);
        int[] rows = new int[Math.multiplyExact(segs, stride)];   // packed key -> original row
        for (int s = 0; s < segs; s++) {
            for (int i = 0; i < stride; i++) {                    // padding: any valid row, masked anyway
                rows[s * stride + i] = real[s] > 0 ? start[s] + Math.min(i, real[s] - 1) : 0;
            }
        }
        PackedKeyValues kv = new PackedKeyValues();
        for (int b = 0; b < p.batch(); b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                for (int s0 = 0; s0 < segs; s0 += segsPerPack) {
                    final int bb = b, hk = kvh, first = s0, count = Math.min(segsPerPack, segs - s0);
                    kv.prepare(p.key(), p.value(), first * stride, (first + count) * stride);
                    cx.run(count * stride / keyTile, (worker, unit) -> {
                        long t0 = cx.clock().now();
                        kv.packRange(p.key(), p.value(), bb, hk, rows, first * stride, unit * keyTile,
                                (unit + 1) * keyTile, HyperForward.scratch(scratch, worker, d).row);
                        cx.clock().add(Phase.EXACT, t0);   // the leaves' own packing, as in the exact kernel's call
                    });
                    cx.run(count * tiles * group, (worker, unit) -> {
                        // segment by segment, so that the threads share its keys in cache; largest tiles first
                        int s = first + unit / (tiles * group), rest = unit % (tiles * group);
                        int tile = tiles - 1 - rest / group, h = hk * group + rest % group;
                        int n = real[s], q0 = tile * rowTile, q1 = Math.min(n, q0 + rowTile);
                        if (q0 >= q1) {
                            return;
                        }
                        long a = cx.clock().now();
                        HyperForward.Scratch sc = HyperForward.scratch(scratch, worker, d);
                        int from = start[s], base = (s - first) * stride;
                        sc.kernel.packQueries(p.query(), bb, h, null, from + q0, from + q1, p.scale());
                        // packed key base + j is segment row j; query row r (segment row q0 + r) sees j <= q0 + r
                        sc.kernel.attend(kv, base, base + q1, base + q0, sc.out1, 0, sc.lse1, 0);
                        for (int i = q0; i < q1; i++) {
                            p.output().writeRow(bb, h, from + i, sc.out1, (i - q0) * d);
                            cx.lse()[p.lseIndex(bb, h, from + i)] = sc.lse1[i - q0];
                        }
                        cx.clock().add(Phase.EXACT, a);
                        // segment row q0 + r sees q0 + r + 1 keys: 4·d flops per (row, visible key)
                        long visible = (long) (q1 - q0) * q0 + (long) (q1 - q0) * (q1 - q0 + 1) / 2;
                        cx.clock().flops(Phase.EXACT, 4L * d * visible);
                    });
                }
            }
        }
    }
}
