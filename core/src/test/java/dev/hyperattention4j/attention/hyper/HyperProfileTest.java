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
}
