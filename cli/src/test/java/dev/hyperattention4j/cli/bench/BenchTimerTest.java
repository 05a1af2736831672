package dev.hyperattention4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bench's timings: statistics over the repetitions of every pass, and how many calls a pass makes. */
class BenchTimerTest {
    @Test
    void statisticsCoverTheRepetitionsOfEveryPass() {
        BenchTimer.Timing first = new BenchTimer.Timing(new double[] {3, 1}, 128);
        BenchTimer.Timing all = first.plus(new BenchTimer.Timing(new double[] {10, 2}, 0));
        assertThat(all.repetitions()).isEqualTo(4);
        assertThat(all.median()).isEqualTo(2.5);             // even count: the mean of the middle two
        assertThat(all.min()).isEqualTo(1);
        assertThat(all.max()).isEqualTo(10);
        assertThat(all.allocatedBytes()).isEqualTo(128);     // measured once, in the first pass
        assertThat(first.plus(new BenchTimer.Timing(new double[] {2}, 0)).median()).isEqualTo(2);
    }

    @Test
    void aLaterPassWarmsOneCallThenTimesItsShareOfRepetitions() {
        AtomicInteger calls = new AtomicInteger();
        Runnable call = () -> {                              // at least 1 µs, so one call always fills a repetition
            calls.incrementAndGet();
            for (long end = System.nanoTime() + 1000; System.nanoTime() < end; ) {
                Thread.onSpinWait();
            }
        };
        // repetitions of at least 1 ns: one call each; a point whose call is shorter than that gets a warming call
        BenchTimer timer = new BenchTimer(0, 1e-9, 2, 100, 1, BenchClock.WALL);
        BenchTimer.Timing t = timer.again(call, 1, 1e-10);
        assertThat(t.repetitions()).isEqualTo(2);
        assertThat(calls.get()).isEqualTo(3);                // one to bring the data back, then one per repetition
        // a point whose one call exceeds the per-pass budget gets the minimum repetitions and no extra call
        calls.set(0);
        BenchTimer.Timing slow = new BenchTimer(0, 1e-9, 2, 1.0, 1, BenchClock.WALL).again(call, 1, 5.0);
        assertThat(slow.repetitions()).isEqualTo(1);
        assertThat(calls.get()).isEqualTo(1);
    }
}
