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
}
