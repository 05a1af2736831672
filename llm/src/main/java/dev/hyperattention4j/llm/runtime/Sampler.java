package dev.hyperattention4j.llm.runtime;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits with {@link SamplingParams}, in llama.cpp's default order:
 * <ol>
 *   <li>penalties over the last {@code repeatLastN} accepted tokens (prompt included): a logit {@code l > 0} becomes
 *       {@code l / repeatPenalty}, a logit {@code l <= 0} becomes {@code l · repeatPenalty}, then
 *       {@code - count · frequencyPenalty - presencePenalty};</li>
 *   <li>temperature 0: the argmax (lowest id on ties); otherwise</li>
 *   <li>top-k: the K largest logits (ties: lower id first);</li>
 *   <li>top-p: with p the softmax of those K logits at temperature 1, the shortest most-likely-first prefix whose
 *       mass reaches P;</li>
 *   <li>min-p: the tokens whose p is at least P times the largest p;</li>
 *   <li>a draw from {@code softmax(l / temperature)} over what is left.</li>
 * </ol>
 * Top-p and min-p therefore do not depend on the temperature (as in llama.cpp, unlike Hugging Face's order).
 *
 * <p>Work per call is linear in the vocabulary plus a sort of the kept candidates only (top-p needs an order, and
 * top-k / min-p usually leave a few dozen); no boxing, scratch allocated once per vocabulary size. Seeded, so a run
 * is reproducible. Not thread-safe: one sampler per generation.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    /** The last {@code repeatLastN} accepted tokens, a ring. */
    private final int[] recent;
    private int recentCount, recentNext;
    private float[] penalized = new float[0];
    private int[] counts = new int[0];
    private int[] candidates = new int[0];
    private long[] sortKeys = new long[0];
    private double[] weights = new double[0];
    private final TopK topK = new TopK();

    public Sampler(SamplingParams params) {
        this.params = java.util.Objects.requireNonNull(params, "sampling parameters");
        this.random = new SplittableRandom(params.seed());
        this.recent = new int[params.penalizes() ? params.repeatLastN() : 0];
    }

    public SamplingParams params() {
        return params;
    }

    /** Forgets the accepted tokens (the random stream continues). */
    public void reset() {
        recentCount = 0;
        recentNext = 0;
    }

    /** Records a token the penalties should see (a prompt token); {@link #sample} records its own picks. */
    public void accept(int token) {
        if (recent.length > 0) {
            recent[recentNext] = token;
            recentNext = (recentNext + 1) % recent.length;
            recentCount = Math.min(recentCount + 1, recent.length);
        }
    }

    /** Index of the largest of {@code logits[0, n)} (the first one on ties). */
    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Picks the next token from {@code logits[0, vocab)} and records it for the penalties. */
    public int sample(float[] logits, int vocab) {
        int token = pick(logits, vocab);
        accept(token);
        return token;
    }

    private int pick(float[] logits, int vocab) {
        float[] l = penalize(logits, vocab);
        if (params.isGreedy()) {
            int best = argmax(l, vocab);
            checkFinite(l[best]);
            return best;
        }
        int n = keep(l, vocab);
        double sum = temperatureWeights(l, n);
        double u = random.nextDouble() * sum;
        double cdf = 0;
        for (int i = 0; i < n; i++) {
            cdf += weights[i];
            if (u < cdf) {
                return candidates[i];
            }
        }
        return candidates[n - 1];
    }

    /**
     * The distribution that {@link #sample} draws from for these logits (given the tokens accepted so far), as
     * probabilities over {@code [0, vocab)}: zero outside the kept candidates; a single 1 when greedy. Does not
     * draw or record anything.
     */
    public double[] distribution(float[] logits, int vocab) {
        float[] l = penalize(logits, vocab);
        double[] p = new double[vocab];
        if (params.isGreedy()) {
            int best = argmax(l, vocab);
            checkFinite(l[best]);
            p[best] = 1;
            return p;
        }
        int n = keep(l, vocab);
        double sum = temperatureWeights(l, n);
        for (int i = 0; i < n; i++) {
            p[candidates[i]] = weights[i] / sum;
        }
        return p;
    }

    /** The logits after the penalties: {@code logits} itself when no penalty applies, else a scratch copy. */
    private float[] penalize(float[] logits, int vocab) {
        if (logits.length < vocab) {
            throw new IllegalArgumentException("logits hold " + logits.length + " values, fewer than the vocabulary "
                    + vocab);
        }
        if (recentCount == 0) {
            return logits;
        }
        if (penalized.length < vocab) {
            penalized = new float[vocab];
            counts = new int[vocab];
        }
        System.arraycopy(logits, 0, penalized, 0, vocab);
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t >= 0 && t < vocab) {
                counts[t]++;
            }
        }
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t < 0 || t >= vocab || counts[t] == 0) {
                continue;   // outside the vocabulary, or already penalized once
            }
            float v = penalized[t];
            v = v > 0 ? v / params.repeatPenalty() : v * params.repeatPenalty();
            penalized[t] = v - counts[t] * params.frequencyPenalty() - params.presencePenalty();
            counts[t] = 0;
        }
        return penalized;
    }

    /**
     * Fills {@code candidates[0, n)} with the tokens that survive top-k, top-p and min-p and returns n (at least 1:
     * the most likely token always survives). {@code weights[i]} is then {@code exp(l - max)} of candidate i.
     */
    private int keep(float[] l, int vocab) {
        if (candidates.length < vocab) {
            candidates = new int[vocab];
            sortKeys = new long[vocab];
            weights = new double[vocab];
        }
        int k = params.topK() == 0 ? vocab : Math.min(params.topK(), vocab);
        // top-k leaves its candidates best first (the nucleus's order), so neither the max nor the sort is needed
        boolean ordered = k < vocab;
        int n = ordered ? topK.select(l, vocab, k, candidates, sortKeys) : all(vocab);
        float max = Float.NEGATIVE_INFINITY;
        if (ordered) {
            max = l[candidates[0]];
        } else {
            for (int i = 0; i < n; i++) {
                max = Math.max(max, l[candidates[i]]);
            }
        }
        checkFinite(max);
        double mass = 0;   // of the top-k set, at temperature 1: top-p's denominator
        for (int i = 0; i < n; i++) {
            mass += weights[i] = Math.exp((double) l[candidates[i]] - max);
        }
        // min-p: p / p_max = exp(l - max); its survivors are a most-likely-first prefix, as top-p's are, so the two
        // cuts together keep the shorter prefix, and min-p can run first to shrink the sort
        int kept = 0;
        for (int i = 0; i < n; i++) {
            int t = candidates[i];
            double w = weights[i];
            if (w >= params.minP()) {
                candidates[kept] = t;
                weights[kept] = w;
                kept++;
            }
        }
        if (params.topP() < 1f) {
            kept = ordered ? nucleusOfOrdered(kept, mass) : nucleus(l, kept, mass);
        }
        return kept;
    }

    /** Sorts the first n candidates most likely first (ties: lower id) and keeps the prefix reaching top-p. */
    private int nucleus(float[] l, int n, double mass) {
        for (int i = 0; i < n; i++) {
            int t = candidates[i];
            sortKeys[i] = TopK.key(l[t], t);   // ascending key = descending logit, then id
        }
        sortKeys(sortKeys, n);
        double cumulative = 0;
        int kept = n;
        for (int i = 0; i < n; i++) {
            int t = (int) sortKeys[i];
            candidates[i] = t;
            cumulative += weights[i] = weightOf(l, t, sortKeys[0]);
            if (kept == n && cumulative / mass >= params.topP()) {
                kept = i + 1;
            }
        }
        return kept;
    }

    /**
     * Sorts {@code keys[0, n)} ascending: by insertion for the few candidates top-k leaves (at most 64), else
     * {@link Arrays#sort}. The keys are distinct (the token id is in the low bits), so both give the same order.
     * For the 40 or fewer keys that top-k and min-p leave, {@code Arrays.sort}'s general machinery was a visible share
     * of a small model's decode step (docs/notebook/2026-12-08-cold-start.md).
     */
    static void sortKeys(long[] keys, int n) {
        if (n > 64) {
            Arrays.sort(keys, 0, n);
            return;
        }
        for (int i = 1; i < n; i++) {
            long k = keys[i];
            int j = i - 1;
            while (j >= 0 && keys[j] > k) {
                keys[j + 1] = keys[j];
                j--;
            }
            keys[j + 1] = k;
        }
    }

    /**
     * {@link #nucleus} for candidates already most likely first (ties: lower id) with their weights
     * {@code exp(l - max)} in {@code weights}: the same prefix, without the sort.
     */
    private int nucleusOfOrdered(int n, double mass) {
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += weights[i];
            if (cumulative / mass >= params.topP()) {
                return i + 1;
            }
        }
        return n;
    }

    /** {@code exp(l[t] - max)}, with max the logit of the first sorted key. */
    private static double weightOf(float[] l, int t, long firstKey) {
        return Math.exp((double) l[t] - l[(int) firstKey]);
    }

    private int all(int vocab) {
        for (int i = 0; i < vocab; i++) {
            candidates[i] = i;
        }
        return vocab;
    }

    /** Replaces weights[0, n) by {@code exp((l - max) / temperature)} and returns their sum. */
    private double temperatureWeights(float[] l, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, l[candidates[i]]);
        }
        double inv = 1.0 / params.temperature(), sum = 0;
        for (int i = 0; i < n; i++) {
            sum += weights[i] = Math.exp(((double) l[candidates[i]] - max) * inv);
        }
        return sum;
    }


    private static void checkFinite(float max) {
        if (Float.isNaN(max) || max == Float.POSITIVE_INFINITY || max == Float.NEGATIVE_INFINITY) {
            throw cannotSample(max);
        }
    }

    static IllegalArgumentException cannotSample(float max) {
        return new IllegalArgumentException("cannot sample: the largest logit is " + max
                + " (NaN, infinite, or every token masked; a non-finite weight? see --check-weights)");
    }
}
