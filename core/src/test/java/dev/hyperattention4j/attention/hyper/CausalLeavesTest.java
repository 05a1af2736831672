package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.attention.hyper.HyperTesting.randn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The causal leaves are packed a group of segments at a time (about 16k keys); with many short leaves there are
 * several groups per KV head, which the small recursion tests never reach. Made exact (b >= n), the recursion must
 * still equal exact causal attention on every row.
 */
class CausalLeavesTest {

    @Test
    void manyLeavesInSeveralPackGroupsEqualExactCausal() {
        int n = 20001, d = 8, minSeqLen = 100;               // odd: zero rows at several levels
        int[] totals = CausalRecursion.levelTotals(n, minSeqLen);
        int leaves = 1 << (totals.length - 1), leafLength = totals[totals.length - 1];
        assertThat((long) leaves * ((leafLength + 127) / 128 * 128)).as("packed leaf keys").isGreaterThan(16384);
        Random r = new Random(11);
        FloatTensor q = randn(r, 2, 2, n, d), k = randn(r, 2, 1, n, d), v = randn(r, 2, 1, n, d);
        try (WorkerPool pool = new WorkerPool(2)) {
            HyperConfig cfg = HyperConfig.defaults().withBlockSize(n).withSampleSize(16).withMinSeqLen(minSeqLen);
            AttentionProblem hyper = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
            new HyperAttention(cfg, pool).forward(hyper);
            AttentionProblem exact = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
            new FlashAttention(pool).forward(exact);
            HyperExactnessTest.assertExact(hyper, exact);
        }
    }

    /**
     * The recursion's parallel steps (leaf packing per group of segments, leaf tiles, per level the sorts and the
     * blocks) give every row the same arithmetic whatever thread runs it: outputs and log-sum-exps are bit-identical
     * on 1, 2 and 3 threads, with several leaf pack groups, odd lengths (zero rows at several levels) and GQA.
     */
    @org.junit.jupiter.api.Test
    void deepRecursionIsBitIdenticalOnAnyThreadCount() {
        int n = 20001, d = 16, minSeqLen = 150;
        int[] totals = CausalRecursion.levelTotals(n, minSeqLen);
        int leaves = 1 << (totals.length - 1), leafLength = totals[totals.length - 1];
        assertThat((long) leaves * ((leafLength + 127) / 128 * 128)).as("packed leaf keys").isGreaterThan(16384);
        Random r = new Random(13);
        FloatTensor q = randn(r, 1, 2, n, d), k = randn(r, 1, 1, n, d), v = randn(r, 1, 1, n, d);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(32).withMinSeqLen(minSeqLen);
        float[][] outputs = new float[3][], lses = new float[3][];
        for (int threads = 1; threads <= 3; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
                new HyperAttention(cfg, pool).forward(p);
                outputs[threads - 1] = p.output().toArray();
                lses[threads - 1] = p.logSumExp();
            }
        }
        for (int t = 1; t < 3; t++) {
            // bit for bit (containsExactly would diff these 640k values in quadratic time)
            assertThat(differingBits(outputs[t], outputs[0])).as("outputs differing on %d threads", t + 1).isZero();
            assertThat(differingBits(lses[t], lses[0])).as("log-sum-exps differing on %d threads", t + 1).isZero();
        }
        // the approximation is active: the result is not exact causal attention
        AttentionProblem exact = AttentionProblem.of(q, k, v).withCausal(true);
        try (WorkerPool pool = new WorkerPool(1)) {
            new FlashAttention(pool).forward(exact);
        }
        assertThat(HyperTesting.relErr(outputs[0], exact.output().toArray())).isGreaterThan(1e-3);
    }

    private static int differingBits(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        int count = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                count++;
            }
        }
        return count;
    }
}
