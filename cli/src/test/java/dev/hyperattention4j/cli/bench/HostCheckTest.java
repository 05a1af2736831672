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
        assertThat(steady.describe()).contains("10.00 ms before", "10.30 ms after", "+3.0 %").doesNotContain("changed");

        HostCheck slower = new HostCheck(10.0, 11.2);
        assertThat(slower.drifted()).isTrue();
        assertThat(slower.describe()).contains("+12.0 %", "changed during this run");

        HostCheck faster = new HostCheck(10.0, 9.0);
        assertThat(faster.drifted()).isTrue();
        assertThat(faster.describe()).contains("-10.0 %");
    }
}
