package dev.hyperattention4j.llm.train;

import java.util.SplittableRandom;

/**
 * The training windows: window (step, micro-batch) is {@code context + 1} consecutive training tokens from an offset
 * drawn by a generator seeded by (seed, step, micro-batch) alone, so any window can be recomputed on resume.
 *
 * <p>With a repeat fraction p > 0, that share of the windows (a seeded coin per window) ends with a copy: the last
 * h tokens are replaced by a span of h tokens from earlier in the same window, h uniform in [max(1, n/64), n/2] and
 * the copy's distance uniform between h and the window's first part. Text that repeats itself rewards a model for
 * looking back to where the current context occurred before and predicting what followed it (induction), the
 * mechanism a small model otherwise learns only after far more training than a few million tokens; natural books
 * need it too (names and phrases recur thousands of tokens apart). Validation stays on natural text.
 */
final class TrainingWindows {
    private final int[] train;
    private final int context;
    private final long seed;
    private final double repeatFraction;

    TrainingWindows(int[] train, int context, long seed, double repeatFraction) {
        if (train.length < context + 1) {
            throw new IllegalArgumentException("the training text has " + train.length + " tokens; a window of "
                    + context + " needs at least " + (context + 1));
        }
        this.train = train;
        this.context = context;
        this.seed = seed;
        this.repeatFraction = repeatFraction;
    }

    /** Fills {@code window} (length context + 1) with window (step, micro); returns the copy's length (0: none). */
    int fill(long step, int micro, int[] window) {
        long mix = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro * 0x94D049BB133111EBL;
        SplittableRandom random = new SplittableRandom(mix);
        int n = context;
        System.arraycopy(train, random.nextInt(train.length - n), window, 0, n + 1);
        // the start is the generator's first draw whatever the fraction, so p = 0 gives the windows of earlier runs
        if (repeatFraction == 0 || random.nextDouble() >= repeatFraction || n < 4) {
            return 0;
        }
        int total = n + 1;
        int shortest = Math.max(1, n / 64), longest = total / 2;
        int h = shortest + random.nextInt(longest - shortest + 1);
        int first = total - h;                               // natural tokens before the copy
        int from = random.nextInt(first - h + 1);            // the copied span lies inside them
        System.arraycopy(window, from, window, first, h);
        return h;
    }
}
