package dev.hyperattention4j.llm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Training windows: natural slices of the text at seeded offsets; with a repeat fraction, that share of them ends with
 * an exact copy of an earlier span of the same window, and every window is a function of (seed, step, micro) alone.
 */
class TrainingWindowsTest {
    /** Distinct tokens (their index), so a window's tokens say where in the text they came from. */
    private static final int[] TEXT = java.util.stream.IntStream.range(0, 50_000).toArray();
    private static final int N = 256;

    @Test
    void withoutRepeatsEveryWindowIsAConsecutiveSliceOfTheText() {
        TrainingWindows w = new TrainingWindows(TEXT, N, 9, 0);
        int[] window = new int[N + 1];
        for (int step = 1; step <= 200; step++) {
            assertEquals(0, w.fill(step, step % 3, window));
            int start = window[0];
            for (int i = 0; i <= N; i++) {
                assertEquals(start + i, window[i], "step " + step + " token " + i);
            }
        }
    }

    @Test
    void repeatedWindowsEndWithACopyOfAnEarlierSpanAndTheirShareIsTheFraction() {
        TrainingWindows w = new TrainingWindows(TEXT, N, 9, 0.3);
        int[] window = new int[N + 1];
        int repeated = 0, draws = 2000;
        for (int step = 1; step <= draws; step++) {
            int h = w.fill(step, 0, window);
            int first = N + 1 - h;
            for (int i = 1; i < first; i++) {
                assertEquals(window[0] + i, window[i], "the first part stays natural text");
            }
            if (h == 0) {
                continue;
            }
            repeated++;
            assertTrue(h >= N / 64 && h <= (N + 1) / 2, "span length " + h);
            int from = window[first] - window[0];   // where the copy came from, by the distinct tokens
            assertTrue(from >= 0 && from + h <= first, "the copied span lies in the first part: " + from + ", " + h);
            for (int i = 0; i < h; i++) {
                assertEquals(window[from + i], window[first + i], "copied token " + i);
            }
        }
        // binomial(2000, 0.3): mean 600, sd 20.5; the bounds are 5 sd away
        assertTrue(repeated > 500 && repeated < 700, repeated + " of " + draws + " windows repeated");
    }

    @Test
    void aWindowIsAFunctionOfSeedStepAndMicroBatchAlone() {
        TrainingWindows a = new TrainingWindows(TEXT, N, 5, 0.5), b = new TrainingWindows(TEXT, N, 5, 0.5);
        int[] x = new int[N + 1], y = new int[N + 1];
        SplittableRandom order = new SplittableRandom(3);
        for (int k = 0; k < 100; k++) {
            long step = 1 + order.nextInt(1000);
            int micro = order.nextInt(4);
            a.fill(step, micro, x);
            b.fill(1 + order.nextInt(1000), order.nextInt(4), y);   // b's history differs
            b.fill(step, micro, y);
            assertArrayEquals(x, y, "step " + step + " micro " + micro);
        }
        a.fill(7, 0, x);
        a.fill(7, 1, y);
        assertTrue(!Arrays.equals(x, y), "micro-batches of one step draw different windows");
    }

    @Test
    void theNaturalWindowsOfARepeatingRunAreThoseOfANaturalRun() {
        // the start is the generator's first draw: adding repeats changes only the windows' tails
        TrainingWindows plain = new TrainingWindows(TEXT, N, 11, 0), mixed = new TrainingWindows(TEXT, N, 11, 1);
        int[] x = new int[N + 1], y = new int[N + 1];
        for (int step = 1; step <= 50; step++) {
            plain.fill(step, 1, x);
            int h = mixed.fill(step, 1, y);
            assertTrue(h > 0, "fraction 1 repeats every window");
            assertArrayEquals(Arrays.copyOf(x, N + 1 - h), Arrays.copyOf(y, N + 1 - h), "step " + step);
        }
    }
}
