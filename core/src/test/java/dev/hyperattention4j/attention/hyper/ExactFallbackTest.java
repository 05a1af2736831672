package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.attention.hyper.HyperTesting.randn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.NonFinitePolicy;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestPools;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The per-row exact fallback ({@link ExactFallback}). Degenerate estimates are made with finite inputs whose logits
 * overflow float32 to −∞: a "trigger" query (1e20 in coordinate 0) against a "hostile" key (−1e20 there) has
 * scale·q·k ≈ −7e39. Every other row has 0 in coordinate 0, so all other logits are ordinary. Injected sort keys put
 * the trigger rows' blocks (and replayed samples) on hostile keys only, so every key of their estimate has weight
 * zero, while their exact rows are ordinary softmax rows over the other keys.
 */
class ExactFallbackTest {
    static final int D = 4;
    static final WorkerPool pool = TestPools.twoThreads();

    /** Sets coordinate 0 of rows [from, to) of head h to {@code x} (and to 0 in every other row of that head). */
    static void plant(FloatTensor t, int h, int from, int to, float x) {
        plant(t, 0, h, from, to, x);
    }

    static void plant(FloatTensor t, int b, int h, int from, int to, float x) {
        for (int i = 0; i < t.length(); i++) {
            if (i >= from && i < to) {
                t.set(b, h, i, 0, x);
            } else if (t.get(b, h, i, 0) != x) {
                t.set(b, h, i, 0, 0f);
            }
        }
    }

    /** Sort key 0 for rows [from, to) of head h (each range in {@code zeroRanges} is {from, to}), 1 elsewhere. */
    static int[] sortKeys(int heads, int n, int[][]... zeroRanges) {
        int[] keys = new int[heads * n];
        java.util.Arrays.fill(keys, 1);
        for (int h = 0; h < heads; h++) {
            for (int[] range : zeroRanges[h]) {
                java.util.Arrays.fill(keys, h * n + range[0], h * n + range[1], 0);
            }
        }
        return keys;
    }

    static AttentionProblem exact(FloatTensor q, FloatTensor k, FloatTensor v, boolean causal, NonFinitePolicy nf) {
        AttentionProblem f = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp().withNonFinite(nf);
        new FlashAttention(pool).forward(f);
        return f;
    }

    /** Rows [from, to) of head h are identical (output bits and log-sum-exp) in both problems. */
    static void assertRowsEqual(AttentionProblem a, AttentionProblem b, int h, int from, int to) {
        float[] ra = new float[D], rb = new float[D];
        for (int i = from; i < to; i++) {
            a.output().readRow(0, h, i, ra, 0);
            b.output().readRow(0, h, i, rb, 0);
            assertThat(ra).as("row %d of head %d", i, h).containsExactly(rb);
            assertThat(a.logSumExp()[a.lseIndex(0, h, i)]).as("L of row %d", i)
                    .isEqualTo(b.logSumExp()[b.lseIndex(0, h, i)]);
        }
    }

    /**
     * Non-causal, 2 query heads sharing 1 KV head. Keys 0..31 are hostile, head 0's queries 0..15 are triggers and
     * sort with keys 0..15 into block 0; samples (when m > 0) are replayed onto hostile keys 16..19, visible to
     * block 0 and also at −∞ (before the fix the merge of two −∞ parts gave NaN rows).
     */
    @ParameterizedTest(name = "m={0} policy={1}")
    @CsvSource({"0, REJECT", "4, REJECT", "4, PROPAGATE"})
    void degenerateNonCausalRowsAreRecomputedExactly(int m, NonFinitePolicy policy) {
        int n = 64;
        Random r = new Random(9);
        FloatTensor q = randn(r, 1, 2, n, D), k = randn(r, 1, 1, n, D), v = randn(r, 1, 1, n, D);
        plant(k, 0, 0, 32, -1e20f);
        plant(q, 0, 0, 16, 1e20f);
        plant(q, 1, 0, 0, 1e20f);
        HyperConfig cfg = new HyperConfig(16, m, 1, 16, 1, 0, HyperConfig.Compat.OFF);
        HyperAttention hyper = new HyperAttention(cfg, pool);
        HyperAttention.SortKeys keys = new HyperAttention.SortKeys(
                sortKeys(2, n, new int[][] {{0, 16}}, new int[][] {}), sortKeys(1, n, new int[][] {{0, 16}}));
        List<int[]> draws = m == 0 ? List.of() : List.of(new int[] {16, 17, 18, 19, 0, 20, 40, 60});
        AttentionProblem p = AttentionProblem.of(q, k, v).withLogSumExp().withNonFinite(policy);
        HyperProfile profile = new HyperProfile();
        hyper.forward(p, SampleSource.replay(draws), profile, keys);

        assertThat(profile.fallbackRows()).isEqualTo(16);
        assertThat(hyper.fallbackRows()).isEqualTo(16);
        AttentionProblem f = exact(q, k, v, false, policy);
        assertRowsEqual(p, f, 0, 0, 16);
        assertOracleRows(p, q, k, v, false, 0, 16);
        for (float l : p.logSumExp()) {
            assertThat(Float.isFinite(l)).isTrue();
        }
    }

    /**
     * Causal n = 64, minSeqLen 16, b = 8: leaves of 16 rows, level 1 (16 × 16 off-diagonal blocks) and level 0
     * (32 × 32). Triggers are rows 48..63; keys 0..15 and 32..63 are hostile, keys 16..31 are not. Rows 48..63's
     * leaf (keys 48..), level-1 block (keys 32..47) and level-0 blocks (sorted onto keys 0..15) are all at −∞, so
     * every level of the recursion is degenerate for them, yet the exact rows see keys 16..31.
     */
    @Test
    void degenerateCausalRowsAreRecomputedOverTheirVisibleKeys() {
        HostileCausal c = HostileCausal.of(new Random(5));
        FloatTensor q = c.q(), k = c.k(), v = c.v();
        HyperAttention hyper = new HyperAttention(c.cfg(), pool);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
        HyperProfile profile = new HyperProfile();
        hyper.forward(p, SampleSource.replay(List.of()), profile, new HyperAttention.SortKeys(c.qKeys(), c.kKeys()));

        assertThat(profile.fallbackRows()).isEqualTo(16);
        AttentionProblem f = exact(q, k, v, true, NonFinitePolicy.REJECT);
        assertRowsEqual(p, f, 0, 48, 64);
        assertOracleRows(p, q, k, v, true, 48, 64);
    }

    /**
     * The hostile causal case of the tests above (n = 64, minSeqLen 16, b = 8, no samples): keys 0..15 and 32..63 at
     * -1e20, query rows 48..63 at +1e20, and sort keys that put rows 48..63 with keys 0..15 at level 0.
     */
    record HostileCausal(FloatTensor q, FloatTensor k, FloatTensor v, int[] qKeys, int[] kKeys, HyperConfig cfg) {
        static HostileCausal of(Random r) {
            int n = 64;
            FloatTensor q = randn(r, 1, 1, n, D), k = randn(r, 1, 1, n, D), v = randn(r, 1, 1, n, D);
            plant(k, 0, 32, 64, -1e20f);
            plant(k, 0, 0, 16, -1e20f);
            plant(q, 0, 48, 64, 1e20f);
            return new HostileCausal(q, k, v, sortKeys(1, n, new int[][] {{48, 64}}),
                    sortKeys(1, n, new int[][] {{0, 16}}), new HyperConfig(8, 0, 1, 16, 1, 0, HyperConfig.Compat.OFF));
        }
    }

    /** Rows [from, to) of head 0 match the double oracle: a softmax over the non-hostile keys, not the zero row. */
    static void assertOracleRows(AttentionProblem p, FloatTensor q, FloatTensor k, FloatTensor v, boolean causal,
                                 int from, int to) {
        AttentionProblem oracle = HyperTesting.naive(q, k, v, causal);
        float[] got = new float[D], want = new float[D];
        for (int i = from; i < to; i++) {
            p.output().readRow(0, 0, i, got, 0);
            oracle.output().readRow(0, 0, i, want, 0);
            assertThat(Math.abs(want[1]) + Math.abs(want[2]) + Math.abs(want[3])).isGreaterThan(1e-3f);
            for (int c = 0; c < D; c++) {
                assertThat(got[c]).isCloseTo(want[c], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    /**
     * The causal case with batch 2 and two query heads per KV head: only batch 1, query head 1 has trigger rows, so
     * exactly those 16 rows fall back (the fallback must address the right batch entry and head of the group).
     */
    @Test
    void fallbackFindsTheRightBatchEntryAndHead() {
        int n = 64;
        Random r = new Random(8);
        FloatTensor q = randn(r, 2, 2, n, D), k = randn(r, 2, 1, n, D), v = randn(r, 2, 1, n, D);
        for (int b = 0; b < 2; b++) {
            plant(k, b, 0, 32, 64, -1e20f);
            plant(k, b, 0, 0, 16, -1e20f);
            plant(q, b, 0, 0, 0, 1e20f);
            plant(q, b, 1, b == 1 ? 48 : 0, b == 1 ? 64 : 0, 1e20f);
        }
        int[] qKeys = new int[2 * 2 * n], kKeys = new int[2 * n];
        java.util.Arrays.fill(qKeys, 1);
        java.util.Arrays.fill(kKeys, 1);
        for (int b = 0; b < 2; b++) {
            java.util.Arrays.fill(qKeys, (b * 2 + 1) * n + 48, (b * 2 + 2) * n, 0);
            java.util.Arrays.fill(kKeys, b * n, b * n + 16, 0);
        }
        HyperAttention hyper = new HyperAttention(new HyperConfig(8, 0, 1, 16, 1, 0, HyperConfig.Compat.OFF), pool);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
        int[] rows = hyper.forwardReportingFallbacks(p, SampleSource.replay(List.of()), null,
                new HyperAttention.SortKeys(qKeys, kKeys)).fallbackRows();
        assertThat(rows).hasSize(16).startsWith(p.lseIndex(1, 1, 48)).endsWith(p.lseIndex(1, 1, 63));
        AttentionProblem f = exact(q, k, v, true, NonFinitePolicy.REJECT);
        float[] ra = new float[D], rb = new float[D];
        for (int i = 48; i < 64; i++) {
            p.output().readRow(1, 1, i, ra, 0);
            f.output().readRow(1, 1, i, rb, 0);
            assertThat(ra).as("row %d", i).containsExactly(rb);
        }
        for (float l : p.logSumExp()) {
            assertThat(Float.isFinite(l)).isTrue();
        }
    }

    /**
     * The backward of the causal case above, with dO on the fallback rows only: their outputs are exact attention,
     * so the gradients must equal the exact backward's (rows with dO = 0 contribute nothing to either). Without the
     * exact backward of fallback rows, dV would miss the argmax keys' dO entirely.
     */
    @Test
    void fallbackRowsGetTheExactGradient() {
        int n = 64;
        Random r = new Random(5);
        HostileCausal hostile = HostileCausal.of(r);
        FloatTensor q = hostile.q(), k = hostile.k(), v = hostile.v();
        HyperConfig cfg = hostile.cfg();
        HyperAttention hyper = new HyperAttention(cfg, pool);
        int[] qKeys = hostile.qKeys(), kKeys = hostile.kKeys();
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
        HyperAttention.Executed forward = hyper.forwardReportingFallbacks(p, SampleSource.replay(List.of()), null,
                new HyperAttention.SortKeys(qKeys, kKeys));
        int[] fallback = forward.fallbackRows();
        assertThat(fallback).hasSize(16).startsWith(48).endsWith(63);
        FloatTensor dO = FloatTensor.zeros(1, 1, n, D);
        for (int i = 48; i < 64; i++) {
            for (int c = 0; c < D; c++) {
                dO.set(0, 0, i, c, (float) r.nextGaussian());
            }
        }
        dev.hyperattention4j.attention.Gradients hg = HyperBackward.run(cfg, pool, p, dO, null,
                new HyperBackward.Saved(forward.schedule(), fallback));
        AttentionProblem f = exact(q, k, v, true, NonFinitePolicy.REJECT);
        dev.hyperattention4j.attention.Gradients eg = new dev.hyperattention4j.attention.FlashBackward(pool)
                .backward(f, dO, null);
        assertThat(HyperTesting.relErr(hg.value().toArray(), eg.value().toArray())).isLessThan(1e-5);
        assertThat(HyperTesting.relErr(hg.key().toArray(), eg.key().toArray())).isLessThan(1e-5);
        assertThat(HyperTesting.relErr(hg.query().toArray(), eg.query().toArray())).isLessThan(1e-5);
        // non-trivial: dV of the keys the trigger rows really attend to (16..31) carries their dO
        double dv = 0;
        for (int j = 16; j < 32; j++) {
            for (int c = 0; c < D; c++) {
                dv += Math.abs(hg.value().get(0, 0, j, c));
            }
        }
        assertThat(dv).isGreaterThan(0.5);
    }

    @Test
    void ordinaryInputsReportNoFallback() {
        Random r = new Random(1);
        HyperConfig cfg = new HyperConfig(16, 8, 3, 32, 1, 0, HyperConfig.Compat.OFF);
        HyperAttention hyper = new HyperAttention(cfg, pool);
        for (boolean causal : new boolean[] {false, true}) {
            FloatTensor q = randn(r, 1, 4, 200, 16), k = randn(r, 1, 2, 200, 16), v = randn(r, 1, 2, 200, 16);
            HyperProfile profile = new HyperProfile();
            AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
            hyper.forward(p, SampleSource.seeded(1, 0, 0), profile);
            assertThat(profile.fallbackRows()).isZero();
            assertThat(profile.toString()).endsWith("fallback rows 0");
        }
        assertThat(hyper.fallbackRows()).isZero();
    }

    /** PROPAGATE: rows poisoned by a NaN key stay NaN (the exact row would see it too) and are not counted. */
    @Test
    void nanRowsArePropagatedNotRepaired() {
        int n = 64;
        Random r = new Random(3);
        FloatTensor q = randn(r, 1, 1, n, D), k = randn(r, 1, 1, n, D), v = randn(r, 1, 1, n, D);
        k.set(0, 0, 5, 1, Float.NaN);
        HyperAttention hyper = new HyperAttention(new HyperConfig(16, 4, 2, 16, 1, 0, HyperConfig.Compat.OFF), pool);
        AttentionProblem p = AttentionProblem.of(q, k, v).withLogSumExp().withNonFinite(NonFinitePolicy.PROPAGATE);
        HyperProfile profile = new HyperProfile();
        hyper.forward(p, SampleSource.seeded(1, 0, 0), profile);
        long nanRows = 0;
        for (float l : p.logSumExp()) {
            nanRows += Float.isNaN(l) ? 1 : 0;
        }
        assertThat(nanRows).isPositive();
        assertThat(profile.fallbackRows()).isZero();
    }

    @Test
    void degeneracyRule() {
        assertThat(ExactFallback.degenerate(Float.NEGATIVE_INFINITY, NonFinitePolicy.PROPAGATE)).isTrue();
        assertThat(ExactFallback.degenerate(Float.POSITIVE_INFINITY, NonFinitePolicy.REJECT)).isTrue();
        assertThat(ExactFallback.degenerate(Float.NaN, NonFinitePolicy.REJECT)).isTrue();
        assertThat(ExactFallback.degenerate(Float.NaN, NonFinitePolicy.PROPAGATE)).isFalse();
        assertThat(ExactFallback.degenerate(-3e38f, NonFinitePolicy.REJECT)).isFalse();
    }

    @Test
    void mergingTwoEmptyPartsGivesAnEmptyPartNotNaN() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] l1 = {ninf, ninf, 2f}, l2 = {ninf, 1f, ninf}, c1 = new float[3], c2 = new float[3], l = new float[3];
        LogSumExpMerge.EXACT.weights(l1, l2, 0.5f, 3, c1, c2, l);
        assertThat(l).containsExactly(ninf, 1.5f, 2f);
        assertThat(c1).containsExactly(0f, 0f, 1f);
        assertThat(c2).containsExactly(0f, 1f, 0f);
    }
}
