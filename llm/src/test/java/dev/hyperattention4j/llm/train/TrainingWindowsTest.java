package dev.hyperattention4j.llm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Training windows: natural slices of the text at seeded offsets; with a repeat fraction, that share of them ends with
 * an exact copy of an earlier span of the same window, or holds spans of random tokens each written twice; every
 * window is a function of (seed, step, micro) alone.
 */
class TrainingWindowsTest {
    /** Distinct tokens (their index), so a window's tokens say where in the text they came from. */
    private static final int[] TEXT = java.util.stream.IntStream.range(0, 50_000).toArray();
    private static final int N = 256;

    @Test
    void withoutRepeatsEveryWindowIsAConsecutiveSliceOfTheText() {
        TrainingWindows w = new TrainingWindows(TEXT, N, 9, 0, TrainingWindows.Source.WINDOW);
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
        TrainingWindows w = new TrainingWindows(TEXT, N, 9, 0.3, TrainingWindows.Source.WINDOW);
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
        TrainingWindows a = new TrainingWindows(TEXT, N, 5, 0.5, TrainingWindows.Source.WINDOW), b = new TrainingWindows(TEXT, N, 5, 0.5, TrainingWindows.Source.WINDOW);
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
        TrainingWindows plain = new TrainingWindows(TEXT, N, 11, 0, TrainingWindows.Source.WINDOW), mixed = new TrainingWindows(TEXT, N, 11, 1, TrainingWindows.Source.WINDOW);
        int[] x = new int[N + 1], y = new int[N + 1];
        for (int step = 1; step <= 50; step++) {
            plain.fill(step, 1, x);
            int h = mixed.fill(step, 1, y);
            assertTrue(h > 0, "fraction 1 repeats every window");
            assertArrayEquals(Arrays.copyOf(x, N + 1 - h), Arrays.copyOf(y, N + 1 - h), "step " + step);
        }
    }

    @Test
    void randomSourceWritesSpansOfRandomTextTokensTwiceAndLeavesTheRestNatural() {
        int n = 4096;
        int[] text = java.util.stream.IntStream.range(0, 200_000).map(i -> i % 50_000).toArray();
        TrainingWindows w = new TrainingWindows(text, n, 4, 1, TrainingWindows.Source.RANDOM);
        TrainingWindows plain = new TrainingWindows(text, n, 4, 0, TrainingWindows.Source.RANDOM);
        int[] window = new int[n + 1], natural = new int[n + 1];
        long total = 0;
        for (int step = 1; step <= 30; step++) {
            int copied = w.fill(step, 0, window);
            plain.fill(step, 0, natural);
            // up to 8 pairs of 16..128 tokens (n/512 pairs of 16..128 tokens; an overlapping draw is redrawn)
            assertTrue(copied >= 16 && copied <= 8 * 128, "copied " + copied);
            int changed = 0;
            for (int i = 0; i <= n; i++) {
                if (window[i] != natural[i]) {
                    changed++;
                    // every token that differs from the natural window occurs at least twice in the window
                    int t = window[i], count = 0;
                    for (int v : window) {
                        count += v == t ? 1 : 0;
                    }
                    assertTrue(count >= 2, "token " + t + " at " + i + " occurs once");
                }
            }
            // each pair overwrites 2h natural tokens (fewer only where a random token equals the natural one)
            assertTrue(changed > 0.9 * 2 * copied && changed <= 2 * copied, "changed " + changed + " of "
                    + 2 * copied);
            total += copied;
        }
        // 8 pairs of 72 tokens on average, few left out
        assertTrue(total > 30 * 8 * 72 * 0.8 && total < 30 * 8 * 72 * 1.2, "copied " + total + " in 30 windows");
    }
}
