package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.attention.hyper.HyperTesting.randn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The profile's flop counts are what bench-hyper divides by the phase times to report each part's share of the FMA
 * peak, so they must be the real work: 4·rows·b·d per block, not padded rows or exact pieces, and the causal leaves'
 * visible keys only.
 */
class HyperProfileTest {

    @ParameterizedTest(name = "causal={0} cpuClock={1}")
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void blockFlopsAreTheBlockDiagonalWork(boolean causal, boolean cpuClock) {
        int batch = 2, heads = 3, n = 2048, d = 16, b = 64, m = 32, minSeqLen = 256;
        Random r = new Random(7);
        FloatTensor q = randn(r, batch, heads, n, d), k = randn(r, batch, heads, n, d), v = randn(r, batch, heads, n, d);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(b).withSampleSize(m).withMinSeqLen(minSeqLen);
        HyperProfile profile = new HyperProfile(cpuClock);
        try (WorkerPool pool = new WorkerPool(2)) {
            new HyperAttention(cfg, pool).forward(AttentionProblem.of(q, k, v).withCausal(causal),
                    SampleSource.seeded(1, 0, 0), profile);
        }
        // non-causal: every query row meets one block of b keys. Causal, n = 2048 and minSeqLen = 256: the
        // lower-left calls of levels 0, 1, 2 (halves 1024, 512, 256) each have n/2 query rows in all.
        long rowsPerHead = causal ? 3L * n / 2 : n;
        long expected = 4L * rowsPerHead * b * d * batch * heads;
        assertThat(profile.flops(Phase.BLOCKS)).isEqualTo(expected);
        // samples: m keys per query row less those in the row's own block, a share b/n_k of them on average
        double samples = 0;
        for (int keys : causal ? new int[] {1024, 512, 256} : new int[] {n}) {
            samples += (causal ? n / 2.0 : n) * m * (1 - (double) b / keys);
        }
        samples *= 4.0 * d * batch * heads;
        assertThat((double) profile.flops(Phase.SAMPLES)).isCloseTo(samples,
                org.assertj.core.api.Assertions.withinPercentage(3));
        assertThat(profile.flops(Phase.SAMPLES)).isLessThanOrEqualTo(expected / b * m);
        assertThat(profile.nanos(Phase.BLOCKS)).isPositive();
        assertThat(profile.nanos(Phase.SORT)).isPositive();
        assertThat(profile.nanos(Phase.HASH)).isPositive();
        assertThat(profile.nanos(Phase.EXACT) > 0).isEqualTo(causal);   // the causal leaves
        // the leaves: 8 causal segments of 256 rows, row i seeing i + 1 keys
        long leaves = causal ? 4L * d * batch * heads * (n / minSeqLen) * (minSeqLen * (minSeqLen + 1L) / 2) : 0;
        assertThat(profile.flops(Phase.EXACT)).isEqualTo(leaves);
        assertThat(profile.intervals(Phase.BLOCKS)).isPositive();
        assertThat(profile.readingNanos()).isNotNegative().isFinite();
        profile.reset();
        assertThat(profile.flops(Phase.BLOCKS)).isZero();
        assertThat(profile.intervals(Phase.BLOCKS)).isZero();
    }

    @org.junit.jupiter.api.Test
    void replayHandsUnitsToTheFirstFreeThreadStepByStep() {
        // one step: a long unit last leaves a tail (1, 1 | 1, then 3 on the thread free at 1: span 4 of work 6)
        HyperProfile.Schedule late = HyperProfile.replay(java.util.List.of(new long[] {1, 1, 1, 3}), 0, 2);
        assertThat(late.elapsedNanos()).isEqualTo(4);
        assertThat(late.tailNanos()).isEqualTo(2);
        // largest first: 3 | 1, 1, 1, no tail
        HyperProfile.Schedule first = HyperProfile.replay(java.util.List.of(new long[] {3, 1, 1, 1}), 0, 2);
        assertThat(first.elapsedNanos()).isEqualTo(3);
        assertThat(first.tailNanos()).isZero();
        assertThat(first.idleShare()).isZero();
        // steps run one after the other; a one-unit step idles the other threads; serial time idles all but one
        HyperProfile.Schedule two = HyperProfile.replay(java.util.List.of(new long[] {3, 1, 1, 1}, new long[] {5}),
                10, 4);
        assertThat(two.steps()).isEqualTo(2);
        assertThat(two.workNanos()).isEqualTo(11);
        assertThat(two.elapsedNanos()).isEqualTo(3 + 5 + 10);
        assertThat(two.tailNanos()).isEqualTo(4 * 8 - 11);
        assertThat(two.idleShare()).isCloseTo(1 - 21.0 / (4 * 18), org.assertj.core.api.Assertions.within(1e-12));
    }

    @ParameterizedTest(name = "causal={0}")
    @CsvSource({"false", "true"})
    void profiledCallsRecordTheirParallelSteps(boolean causal) {
        int n = 2048, d = 16;
        Random r = new Random(9);
        FloatTensor q = randn(r, 1, 3, n, d), k = randn(r, 1, 3, n, d), v = randn(r, 1, 3, n, d);
        HyperConfig cfg = HyperConfig.defaults().withBlockSize(64).withSampleSize(32).withMinSeqLen(256);
        HyperProfile profile = new HyperProfile(true);
        try (WorkerPool pool = new WorkerPool(1)) {
            new HyperAttention(cfg, pool).forward(AttentionProblem.of(q, k, v).withCausal(causal),
                    SampleSource.seeded(1, 0, 0), profile);
        }
        HyperProfile.Schedule one = profile.schedule(1), two = profile.schedule(2);
        // one step hashes Q and K and scans V, then per pass sort + blocks; causal: per KV head and leaf group pack +
        // attend first
        int passes = causal ? 3 : 1, leafSteps = causal ? 3 * 2 : 0;
        assertThat(one.steps()).isEqualTo(1 + 2 * passes + leafSteps);
        assertThat(one.tailNanos()).isZero();
        assertThat(one.workNanos()).isGreaterThanOrEqualTo(profile.nanos(Phase.BLOCKS));
        assertThat(two.workNanos()).isEqualTo(one.workNanos());
        assertThat(two.elapsedNanos()).isLessThan(one.elapsedNanos())
                .isGreaterThanOrEqualTo((one.elapsedNanos() + one.serialNanos()) / 2);
        profile.reset();
        assertThat(profile.schedule(2).steps()).isZero();
    }
}
