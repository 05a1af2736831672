package dev.hyperattention4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which implementations the default {@code bench} sweep times where. */
class BenchSweepTest {
    private static final int[] SWEEP = {4096, 8192, 16384};
    private static final int[] THREADS = {1, 2};

    @Test
    void sweepLengthsTimeEveryCaseThatRunsThere() {
        for (int t : THREADS) {
            assertThat(BenchCommand.measures(AttentionBenchCase.flash(), 4096, t, SWEEP, THREADS)).isTrue();
            assertThat(BenchCommand.measures(AttentionBenchCase.hyper(), 16384, t, SWEEP, THREADS)).isTrue();
        }
        // the baselines stop at their own maximum length and run single-threaded
        assertThat(BenchCommand.measures(AttentionBenchCase.naive(1024), 4096, 1, SWEEP, THREADS)).isFalse();
        assertThat(BenchCommand.measures(AttentionBenchCase.matmulSoftmax(4096), 4096, 1, SWEEP, THREADS)).isTrue();
        assertThat(BenchCommand.measures(AttentionBenchCase.matmulSoftmax(4096), 4096, 2, SWEEP, THREADS)).isFalse();
    }

    @Test
    void aBaselineOnlyLengthTimesTheBaselinesAndTheExactKernelOnTheFewestThreads() {
        assertThat(BenchCommand.measures(AttentionBenchCase.naive(1024), 1024, 1, SWEEP, THREADS)).isTrue();
        assertThat(BenchCommand.measures(AttentionBenchCase.matmulSoftmax(1024), 1024, 1, SWEEP, THREADS)).isTrue();
        assertThat(BenchCommand.measures(AttentionBenchCase.flash(), 1024, 1, SWEEP, THREADS)).isTrue();
        assertThat(BenchCommand.measures(AttentionBenchCase.flash(), 1024, 2, SWEEP, THREADS)).isFalse();
        assertThat(BenchCommand.measures(AttentionBenchCase.hyper(), 1024, 1, SWEEP, THREADS)).isFalse();
        // with only 2 threads asked for, the exact kernel still appears at the baseline length
        assertThat(BenchCommand.measures(AttentionBenchCase.flash(), 1024, 2, SWEEP, new int[] {2})).isTrue();
    }
}
