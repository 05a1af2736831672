package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.attention.hyper.HyperTesting.maxAbsDiff;
import static dev.hyperattention4j.attention.hyper.HyperTesting.randn;
import static dev.hyperattention4j.attention.hyper.HyperTesting.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestPools;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Settings under which HyperAttention must equal exact attention. Tolerances: float32 kernels against the double
 * oracle reach ~4e-7 relative (docs/DESIGN.md §9.4); merges and the causal levels add a few roundings,
 * so 1e-5
 * relative Frobenius on outputs and 1e-4 absolute on log-sum-exp (values ~5) are tight yet safe.
 */
class HyperExactnessTest {
    static final WorkerPool pool = TestPools.twoThreads();

    static void assertExact(AttentionProblem actual, AttentionProblem oracle) {
        assertThat(relErr(actual.output().toArray(), oracle.output().toArray())).isLessThan(1e-5);
        assertThat(maxAbsDiff(actual.logSumExp(), oracle.logSumExp())).isLessThan(1e-4);
    }

    @ParameterizedTest(name = "nq={0} nk={1} causal={2}")
    @CsvSource({"700, 700, false", "700, 700, true", "300, 900, false", "300, 900, true", "650, 250, false"})
    void shortInputsReturnExactlyTheExactKernelsResult(int nq, int nk, boolean causal) {
        Random r = new Random(nq + nk);
        FloatTensor q = randn(r, 1, 4, nq, 32), k = randn(r, 1, 2, nk, 32), v = randn(r, 1, 2, nk, 32);
        // minSeqLen = 1000 > n: non-causal nq < minSeqLen, causal n <= minSeqLen (or nq != nk) are exact
        HyperAttention hyper = new HyperAttention(HyperConfig.defaults().withMinSeqLen(1000), pool);
        AttentionProblem h = HyperTesting.run(hyper, q, k, v, causal);
        AttentionProblem f = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        new FlashAttention(pool).forward(f);
        assertThat(h.output().toArray()).containsExactly(f.output().toArray());
        assertThat(h.logSumExp()).containsExactly(f.logSumExp());
    }

    @ParameterizedTest(name = "nq={0} nk={1} m={2}")
    @CsvSource({"500, 500, 0", "500, 500, 64", "333, 480, 16", "480, 333, 0"})
    void oneBlockHoldingEveryKeyIsExact(int nq, int nk, int m) {
        // b >= nk: a single block holds every key; the residual is skipped (nk > b fails), whatever m is
        Random r = new Random(nq * 31 + m);
        FloatTensor q = randn(r, 2, 4, nq, 24), k = randn(r, 2, 2, nk, 24), v = randn(r, 2, 2, nk, 24);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(512).withSampleSize(m).withMinSeqLen(16);
        AttentionProblem h = HyperTesting.run(new HyperAttention(cfg, pool), q, k, v, false);
        assertExact(h, HyperTesting.naive(q, k, v, false));
    }

    @ParameterizedTest(name = "n={0} minSeqLen={1}")
    @CsvSource({"300, 150", "301, 150", "300, 64", "517, 64", "517, 100", "1000, 40", "999, 60", "257, 128",
            "129, 1"})
    void causalRecursionWithExactOffDiagonalBlocksEqualsExactCausal(int n, int minSeqLen) {
        // b >= n makes every lower-left call one exact block; what remains is the recursion itself: halving, odd
        // padding with zero rows, the segment bookkeeping, leaves and the merges of every level
        Random r = new Random(n * 7L + minSeqLen);
        FloatTensor q = randn(r, 2, 4, n, 16), k = randn(r, 2, 2, n, 16), v = randn(r, 2, 2, n, 16);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(n).withSampleSize(32).withMinSeqLen(minSeqLen);
        HyperAttention hyper = new HyperAttention(cfg, pool);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
        assertThat(hyper.isExact(p)).isFalse();
        assertThat(CausalRecursion.levelTotals(n, minSeqLen).length - 1).as("recursion depth").isGreaterThan(0);
        hyper.forward(p);
        assertExact(p, HyperTesting.naive(q, k, v, true));
    }

    @Test
    void levelTotalsHalveWithOddPadding() {
        assertThat(CausalRecursion.levelTotals(8192, 4096)).containsExactly(8192, 4096);
        assertThat(CausalRecursion.levelTotals(4096, 4096)).containsExactly(4096);
        assertThat(CausalRecursion.levelTotals(12290, 1024)).containsExactly(12290, 6145, 3073, 1537, 769);
    }

    @Test
    void localBlocksExcludePaddingKeysFromTheShortLastBlock() {
        // r = 0: every row is bucket 0, so the sorted order is the original one and block t is rows [tb, tb+b).
        // n = 1000, b = 256: the last block has 232 keys; its rows must equal exact attention over exactly those.
        Random r = new Random(5);
        int n = 1000, b = 256;
        FloatTensor q = randn(r, 1, 1, n, 16), k = randn(r, 1, 1, n, 16), v = randn(r, 1, 1, n, 16);
        HyperConfig cfg = new HyperConfig(b, 0, 0, 16, 1, 0, HyperConfig.Compat.OFF);
        AttentionProblem h = HyperTesting.run(new HyperAttention(cfg, pool), q, k, v, false);
        AttentionProblem padded = HyperTesting.run(new HyperAttention(cfg.withCompat(
                new HyperConfig.Compat(false, false, true, false)), pool), q, k, v, false);
        for (int t = 0; t * b < n; t++) {
            int from = t * b, to = Math.min(n, from + b);
            AttentionProblem block = HyperTesting.naive(slice(q, from, to), slice(k, from, to), slice(v, from, to),
                    false);
            float[] expected = block.output().toArray();
            float[] actual = java.util.Arrays.copyOfRange(h.output().toArray(), from * 16, to * 16);
            assertThat(relErr(actual, expected)).as("block %d", t).isLessThan(1e-5);
            for (int i = from; i < to; i++) {
                assertThat(h.logSumExp()[i]).isCloseTo(block.logSumExp()[i - from],
                        org.assertj.core.data.Offset.offset(1e-4f));
                // the reference's zero padding keys (logit 0, value 0) add 24 to the row sum of the last block only
                float expectedPadded = to - from < b
                        ? (float) Math.log(Math.exp(block.logSumExp()[i - from]) + (b - (to - from)))
                        : block.logSumExp()[i - from];
                assertThat(padded.logSumExp()[i]).isCloseTo(expectedPadded, org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    static FloatTensor slice(FloatTensor x, int from, int to) {
        int d = x.dim();
        float[] out = new float[(to - from) * d];
        for (int i = from; i < to; i++) {
            x.readRow(0, 0, i, out, (i - from) * d);
        }
        return FloatTensor.of(out, 1, 1, to - from, d);
    }

    @ParameterizedTest(name = "causal={0}")
    @CsvSource({"false", "true"})
    void resultsDoNotDependOnTheThreadCount(boolean causal) {
        Random r = new Random(17);
        int n = 800;
        FloatTensor q = randn(r, 1, 4, n, 32), k = randn(r, 1, 2, n, 32), v = randn(r, 1, 2, n, 32);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(64).withMinSeqLen(200);
        AttentionProblem one, two;
        try (WorkerPool single = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            one = HyperTesting.run(new HyperAttention(cfg, single), q, k, v, causal);
            two = HyperTesting.run(new HyperAttention(cfg, three), q, k, v, causal);
        }
        assertThat(one.output().toArray()).containsExactly(two.output().toArray());
        assertThat(one.logSumExp()).containsExactly(two.logSumExp());
        // and the approximation is really active: it differs from exact attention
        assertThat(relErr(one.output().toArray(), HyperTesting.naive(q, k, v, causal).output().toArray()))
                .isGreaterThan(1e-3);
    }

    @Test
    void seedDeterminesTheResult() {
        Random r = new Random(23);
        int n = 800;
        FloatTensor q = randn(r, 1, 2, n, 16), k = randn(r, 1, 2, n, 16), v = randn(r, 1, 2, n, 16);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(32).withMinSeqLen(100);
        float[] a = HyperTesting.run(new HyperAttention(cfg, pool), q, k, v, false).output().toArray();
        float[] b = HyperTesting.run(new HyperAttention(cfg, pool), q, k, v, false).output().toArray();
        float[] c = HyperTesting.run(new HyperAttention(cfg.withSeed(99), pool), q, k, v, false).output().toArray();
        float[] otherLayer = HyperTesting.run(new HyperAttention(cfg.withLayer(1), pool), q, k, v, false).output()
                .toArray();
        assertThat(a).containsExactly(b);
        assertThat(relErr(c, a)).isGreaterThan(1e-3);
        assertThat(relErr(otherLayer, a)).isGreaterThan(1e-3);
    }

    @Test
    void replaySourceFailsOnMissingAndLeftOverDraws() {
        Random r = new Random(29);
        int n = 600;
        FloatTensor q = randn(r, 1, 1, n, 16), k = randn(r, 1, 1, n, 16), v = randn(r, 1, 1, n, 16);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(8).withMinSeqLen(100);
        HyperAttention hyper = new HyperAttention(cfg, pool);
        AttentionProblem p = AttentionProblem.of(q, k, v);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> hyper.forward(p,
                SampleSource.replay(java.util.List.of()), null)).hasMessageContaining("only 0 draws were recorded");
        int[] draw = new int[8];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> hyper.forward(p,
                SampleSource.replay(java.util.List.of(draw, draw)), null)).hasMessageContaining("1 recorded draws left over");
    }

    @ParameterizedTest(name = "causal={0}")
    @CsvSource({"false", "true"})
    void groupedQueryAttentionEqualsCopyingKeysAndValuesToEveryQueryHead(boolean causal) {
        // §2.1: GQA is the same as repeating each KV head for its g query heads (same W, same draws per query head)
        Random r = new Random(31);
        int n = 900, d = 16;
        FloatTensor q = randn(r, 2, 4, n, d), k = randn(r, 2, 2, n, d), v = randn(r, 2, 2, n, d);
        FloatTensor k4 = repeatHeads(k, 2), v4 = repeatHeads(v, 2);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(32).withMinSeqLen(200);
        AttentionProblem gqa = HyperTesting.run(new HyperAttention(cfg, pool), q, k, v, causal);
        AttentionProblem copied = HyperTesting.run(new HyperAttention(cfg, pool), q, k4, v4, causal);
        assertThat(gqa.output().toArray()).containsExactly(copied.output().toArray());
        assertThat(gqa.logSumExp()).containsExactly(copied.logSumExp());
    }

    static FloatTensor repeatHeads(FloatTensor x, int g) {
        FloatTensor out = FloatTensor.zeros(x.batch(), x.heads() * g, x.length(), x.dim());
        float[] row = new float[x.dim()];
        for (int b = 0; b < x.batch(); b++) {
            for (int h = 0; h < x.heads() * g; h++) {
                for (int i = 0; i < x.length(); i++) {
                    x.readRow(b, h / g, i, row, 0);
                    out.writeRow(b, h, i, row, 0);
                }
            }
        }
        return out;
    }

    @Test
    void injectedSortKeysReplaceHashing() {
        Random r = new Random(37);
        int n = 700, d = 16;
        FloatTensor q = randn(r, 1, 2, n, d), k = randn(r, 1, 2, n, d), v = randn(r, 1, 2, n, d);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(0).withMinSeqLen(100);
        HyperAttention hyper = new HyperAttention(cfg, pool);
        // the keys hashing would produce give the same result as hashing
        SortLsh lsh = hyper.lsh(d);
        int[] qKeys = new int[2 * n], kKeys = new int[2 * n];
        for (int h = 0; h < 2; h++) {
            lsh.hashRows(q, 0, h, 0, n, qKeys, h * n, new float[d]);
            lsh.hashRows(k, 0, h, 0, n, kKeys, h * n, new float[d]);
        }
        AttentionProblem hashed = HyperTesting.run(hyper, q, k, v, false);
        AttentionProblem injected = AttentionProblem.of(q, k, v).withLogSumExp();
        hyper.forward(injected, SampleSource.seeded(1, 0, 0), null, new HyperAttention.SortKeys(qKeys, kKeys));
        assertThat(injected.output().toArray()).containsExactly(hashed.output().toArray());
        // all-zero keys: every row ties, the stable sort keeps the original order = plain local blocks (r = 0)
        AttentionProblem zeros = AttentionProblem.of(q, k, v).withLogSumExp();
        hyper.forward(zeros, SampleSource.seeded(1, 0, 0), null, new HyperAttention.SortKeys(new int[2 * n],
                new int[2 * n]));
        AttentionProblem local = HyperTesting.run(new HyperAttention(cfg.withNumProjections(0), pool), q, k, v, false);
        assertThat(zeros.output().toArray()).containsExactly(local.output().toArray());
        assertThat(relErr(zeros.output().toArray(), hashed.output().toArray())).isGreaterThan(1e-3);
    }
}
