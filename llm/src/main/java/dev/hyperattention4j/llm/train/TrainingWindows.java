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
 *
 * <p>{@link Source#RANDOM} repeats spans of random tokens instead (tokens drawn from the training text, so at its
 * unigram frequencies): max(1, n/512) pairs per window, each span 16 to 128 tokens long (at most half the window),
 * written at a random position and again after it, at a gap drawn log-uniformly
 * (short distances, where copying is learnt first, are frequent; long ones still occur). A span's first occurrence cannot be predicted at all, so its
 * copy can only be predicted by finding it: the pure form of the task, which small models learn within a few hundred
 * steps where copies of the book's own text, half predictable from their local context anyway, taught a 6-layer model
 * nothing in 1,400 steps.
 */
public final class TrainingWindows {
    /** What the repeated windows repeat. */
    public enum Source {
        /** One span of the window's own text, copied to its end. */
        WINDOW,
        /** Several spans of random tokens, each written twice. */
        RANDOM
    }

    private final int[] train;
    private final int context;
    private final long seed;
    private final double repeatFraction;
    private final Source source;
    private boolean[] taken = new boolean[0];   // positions already holding a random pair (reused across windows)

    TrainingWindows(int[] train, int context, long seed, double repeatFraction, Source source) {
        if (train.length < context + 1) {
            throw new IllegalArgumentException("the training text has " + train.length + " tokens; a window of "
                    + context + " needs at least " + (context + 1));
        }
        this.train = train;
        this.context = context;
        this.seed = seed;
        this.repeatFraction = repeatFraction;
        this.source = source;
    }

    /**
     * Fills {@code window} (length context + 1) with window (step, micro); returns the number of tokens written as
     * copies (0: a natural window).
     */
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
        if (source == Source.RANDOM) {
            return randomPairs(random, window, total);
        }
        int shortest = Math.max(1, n / 64), longest = total / 2;
        int h = shortest + random.nextInt(longest - shortest + 1);
        int first = total - h;                               // natural tokens before the copy
        int from = random.nextInt(first - h + 1);            // the copied span lies inside them
        System.arraycopy(window, from, window, first, h);
        return h;
    }

    /**
     * Writes max(1, n/512) spans of random tokens, each at a random position and again at a random later one; a pair
     * that would overlap one already written is drawn again (up to 8 times, then left out), so every copy is whole.
     */
    private int randomPairs(SplittableRandom random, int[] window, int total) {
        int n = total - 1;
        int pairs = Math.max(1, n / 512), shortest = 16, longest = 128;   // about 28 % of the window changed
        if (taken.length < total) {
            taken = new boolean[total];
        }
        java.util.Arrays.fill(taken, 0, total, false);
        int copied = 0;
        for (int p = 0; p < pairs; p++) {
            int h = Math.min(shortest + random.nextInt(longest - shortest + 1), total / 2);
            for (int attempt = 0; attempt < 8; attempt++) {
                int from = random.nextInt(total - 2 * h + 1);
                int to = from + h + logUniformGap(random, total - from - 2 * h);
                if (free(from, h) && free(to, h)) {
                    for (int i = 0; i < h; i++) {
                        int t = train[random.nextInt(train.length)];
                        window[from + i] = t;
                        window[to + i] = t;
                        taken[from + i] = true;
                        taken[to + i] = true;
                    }
                    copied += h;
                    break;
                }
            }
        }
        return copied;
    }

    /**
     * A gap in [0, most], log-uniform: as many copies within 1-10 tokens of their span's end as within 100-1000, so
     * the short distances at which copying is learnt first come often and every longer one still occurs.
     */
    private static int logUniformGap(SplittableRandom random, int most) {
        return (int) Math.min(most, Math.floor(Math.exp(random.nextDouble() * Math.log(most + 1.0))) - 1);
    }

    private boolean free(int at, int length) {
        for (int i = at; i < at + length; i++) {
            if (taken[i]) {
                return false;
            }
        }
        return true;
    }
}
