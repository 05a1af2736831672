package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each output row comes from one work unit with a fixed key order: results are bit-identical for any thread count,
 * including when the thread count changes how the rows are cut into units (g = 1, 700 rows: 3 query tiles on one
 * thread, 4 on two) and how many KV groups a pool run attends (4 query rows, 6 groups: 4 per run on one thread, all
 * 6 on two; FlashQueryTilesTest checks that these shapes do change the schedule).
 */
class FlashDeterminismTest {

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} nq={3} nk={4} causal={5}")
    @CsvSource({"2,4,2,700,650,false", "2,4,2,700,650,true", "1,1,1,700,700,false", "1,1,1,700,700,true",
            "2,3,3,4,500,false", "2,3,3,4,500,true"})
    void oneAndTwoThreadsAndRepeatedRunsAgreeBitForBit(int batch, int qHeads, int kvHeads, int nq, int nk,
                                                       boolean causal) {
        Random r = new Random(17);
        FloatTensor q = TestTensors.gaussian(r, 1, batch, qHeads, nq, 64), k = TestTensors.gaussian(r, 1, batch, kvHeads, nk, 64);
        FloatTensor v = TestTensors.gaussian(r, 1, batch, kvHeads, nk, 64);
        float[][] outs = new float[3][], lses = new float[3][];
        try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
            FlashAttention[] runs = {new FlashAttention(one), new FlashAttention(two), new FlashAttention(two)};
            for (int i = 0; i < 3; i++) {
                AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
                runs[i == 2 ? 1 : i].forward(p);     // run 2 repeats run 1 on the same (now warm) instance
                outs[i] = p.output().toArray();
                lses[i] = p.logSumExp();
            }
        }
        // Arrays.equals compares bits (NaN-safe) and, unlike containsExactly, reports large arrays in linear time
        assertThat(java.util.Arrays.equals(outs[1], outs[0])).as("1 vs 2 threads, output").isTrue();
        assertThat(java.util.Arrays.equals(outs[2], outs[0])).as("repeated run, output").isTrue();
        assertThat(java.util.Arrays.equals(lses[1], lses[0])).as("1 vs 2 threads, log-sum-exp").isTrue();
        assertThat(java.util.Arrays.equals(lses[2], lses[0])).as("repeated run, log-sum-exp").isTrue();
    }
}
