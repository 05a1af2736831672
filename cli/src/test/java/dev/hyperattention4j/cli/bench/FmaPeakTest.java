package dev.hyperattention4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The peak a bench table is reported against: the better of two measurements, per thread count. */
class FmaPeakTest {

    @Test
    void theHigherMeasurementCountsForEachThreadCount() {
        FmaPeak before = new FmaPeak(239.5, 463.4, 2);
        FmaPeak after = new FmaPeak(237.0, 489.6, 2);
        FmaPeak peak = before.max(after);
        assertThat(peak.oneThreadGflops()).isEqualTo(239.5);
        assertThat(peak.allThreadsGflops()).isEqualTo(489.6);
        assertThat(after.max(before)).isEqualTo(peak);
        assertThat(peak.forThreads(1)).isEqualTo(239.5);
        assertThat(peak.forThreads(2)).isEqualTo(489.6);
    }

    @Test
    void peaksOfDifferentPoolsDoNotMix() {
        assertThatThrownBy(() -> new FmaPeak(240, 480, 2).max(new FmaPeak(240, 960, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 and 4 threads");
    }
}
