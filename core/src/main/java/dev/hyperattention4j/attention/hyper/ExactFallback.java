package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.NonFinitePolicy;
import dev.hyperattention4j.kernel.FiniteScan;
import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.PackedKeyValues;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-row exact fallback of HyperAttention (issue #9, docs/RELIABILITY.md §4): after the last merge, rows whose
 * estimated normaliser is degenerate are recomputed with the exact kernel over every key they may see.
 *
 * <p><b>Degenerate</b>: the merged log-sum-exp L of a row is {@code ±∞}, or NaN under {@link NonFinitePolicy#REJECT}.
 * A finite L means every part that contributed had a positive finite normaliser and the merge weights are in [0, 1]
 * summing to 1, so the row is a convex combination of value rows. L = −∞ means every key of the row's estimate (its
 * block, its samples, every causal level) had weight zero, e.g. logits that overflow to −∞ in float32, although keys
 * outside the estimate may carry the row's mass. Under {@link NonFinitePolicy#PROPAGATE} a NaN L comes from a NaN
 * input (the exact row sees a superset of the keys, so it would be NaN too) and is left alone; −∞ cannot come from a
 * NaN, so it is still repaired there.
 *
 * <p>Every non-exact HyperAttention call has nq == nk when causal, so each row sees at least one key. Cost: one O(n)
 * scan of L, then O(flagged rows · nk · d); nothing when no row is flagged.
 */
final class ExactFallback {
    /** No degenerate row. */
    static final int[] NONE = new int[0];

    private ExactFallback() {}

    /** Whether a row with merged log-sum-exp {@code l} must be recomputed under {@code policy}. */
    static boolean degenerate(float l, NonFinitePolicy policy) {
        if (l != l) {
            return policy == NonFinitePolicy.REJECT;
        }
        return l == Float.NEGATIVE_INFINITY || l == Float.POSITIVE_INFINITY;
    }

    /**
     * Scans {@code lse} and recomputes the degenerate rows in place (output and L); returns their indices in
     * {@code lse} (ascending; {@link #NONE} when there are none).
     */
    static int[] run(HyperForward.Context cx, HyperForward.Scratch[] scratch) {
        AttentionProblem p = cx.problem();
        float[] lse = cx.lse();
        int batch = p.batch(), hq = p.queryHeads(), nq = p.queryLength();
        if (FiniteScan.allFinite(lse, 0, batch * hq * nq)) {
            // every degenerate L is infinite or NaN: a vector scan clears the usual call (the row-by-row test below
            // took 0.5 ms at n = 32,768 with 12 heads, serial time that idles the other threads)
            return NONE;
        }
        int flagged = 0;
        for (int r = 0, rows = batch * hq * nq; r < rows; r++) {
            if (degenerate(lse[r], p.nonFinite())) {
                flagged++;
            }
        }
        if (flagged == 0) {
            return NONE;
        }
        int[] flaggedRows = new int[flagged];
        for (int r = 0, rows = batch * hq * nq, f = 0; r < rows; r++) {
            if (degenerate(lse[r], p.nonFinite())) {
                flaggedRows[f++] = r;
            }
        }
        long t0 = cx.clock().now();
        int group = p.groupSize(), nk = p.keyLength(), d = p.headDim();
        int offset = p.causal() ? nk - nq : 0;
        PackedKeyValues kv = new PackedKeyValues();
        for (int b = 0; b < batch; b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                // units of the group's flagged rows: (head, rows[from..to)); causal units are contiguous runs
                int[] rows = new int[group * nq];
                List<int[]> units = new ArrayList<>();
                int count = 0;
                for (int g = 0; g < group; g++) {
                    int h = kvh * group + g, base = p.lseIndex(b, h, 0), unitStart = count;
                    for (int i = 0; i < nq; i++) {
                        if (!degenerate(lse[base + i], p.nonFinite())) {
                            continue;
                        }
                        boolean breaksRun = p.causal() && count > unitStart && rows[count - 1] != i - 1;
                        if (count - unitStart == HyperForward.QUERY_CHUNK || breaksRun) {
                            units.add(new int[] {h, unitStart, count});
                            unitStart = count;
                        }
                        rows[count++] = i;
                    }
                    if (count > unitStart) {
                        units.add(new int[] {h, unitStart, count});
                    }
                }
                if (units.isEmpty()) {
                    continue;
                }
                kv.pack(p.key(), p.value(), b, kvh, null, 0, nk);
                final int bb = b;
                cx.run(units.size(), (worker, u) -> {
                    HyperForward.Scratch s = HyperForward.scratch(scratch, worker, d);
                    int[] unit = units.get(u);
                    int h = unit[0], from = unit[1], to = unit[2];
                    s.kernel.packQueries(p.query(), bb, h, rows, from, to, p.scale());
                    int first = rows[from], last = rows[to - 1];
                    int keyEnd = p.causal() ? Math.min(nk, last + 1 + offset) : nk;
                    int diagonal = p.causal() ? first + offset : FlashKernel.NO_MASK;
                    s.kernel.attend(kv, 0, keyEnd, diagonal, s.out1, 0, s.lse1, 0);
                    for (int r = from; r < to; r++) {
                        p.output().writeRow(bb, h, rows[r], s.out1, (r - from) * d);
                        lse[p.lseIndex(bb, h, rows[r])] = s.lse1[r - from];
                    }
                });
            }
        }
        cx.clock().add(HyperProfile.Phase.EXACT, t0);
        return flaggedRows;
    }
}
