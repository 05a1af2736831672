package dev.hyperattention4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The bench's before/after timing of one reference point, and when its table warns about host drift. */
class HostCheckTest {
    @Test
    void aChangeBeyondFivePercentEitherWayIsReportedAsDrift() {
        HostCheck steady = new HostCheck(10.0, 10.3);
        assertThat(steady.changePercent()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(steady.drifted()).isFalse();
        assertThat(steady.describe(200))
                .contains("10.00 ms (53.7 % of the 1-thread peak) before", "10.30 ms (52.1 %) after", "+3.0 %")
                .doesNotContain("changed");

        HostCheck slower = new HostCheck(10.0, 11.2);
        assertThat(slower.drifted()).isTrue();
        assertThat(slower.describe(200)).contains("+12.0 %", "changed during this run");

        HostCheck faster = new HostCheck(10.0, 9.0);
        assertThat(faster.drifted()).isTrue();
        assertThat(faster.describe(200)).contains("-10.0 %");
    }

    @Test
    void percentOfPeakCountsTheReferencePointsFlops() {
        // 4 * 2048^2 * 64 flops = 1.0737 GFLOP: in 5 ms 214.7 GFLOP/s, 89.5 % of a 240 GFLOP/s peak
        assertThat(HostCheck.percentOfPeak(5.0, 240)).isCloseTo(89.48, org.assertj.core.data.Offset.offset(0.01));
        assertThat(HostCheck.percentOfPeak(10.0, 240)).isCloseTo(44.74, org.assertj.core.data.Offset.offset(0.01));
    }
}
