package dev.hyperattention4j.llm.runtime;

import java.util.Arrays;

/**
 * The k largest logits of a vocabulary, best first (ties: lower id first), in about two passes over the logits.
 *
 * <p>Why not a heap of k over the whole vocabulary: with logits in no particular order the heap's root is replaced
 * about k·ln(vocab/k) times, and each replacement sifts through unpredictable branches; for k = 40 over 2,048 tokens
 * that was 85 % of a 10 µs sample, a sixth of a small model's decode step. Instead: the vocabulary is dealt into G
 * strided groups (token i to group i mod G, G ≥ k) and each group's largest logit found (a pass that compiles to
 * vector max instructions); the k-th largest of those G maxima is a threshold t below which no top-k logit can lie
 * (k groups each hold a logit ≥ t). Only the logits ≥ t, typically a few more than k, are then ordered exactly.
 */
final class TopK {
    private float[] groupMax = new float[0];
    private float[] sortedMax = new float[0];

    /**
     * Writes the k best of {@code l[0, vocab)} to {@code out[0, k)}, best first, and returns k; {@code keys} must
     * hold {@code vocab} longs. NaN anywhere in the logits: an {@link IllegalArgumentException} (a model that produces
     * NaN is broken; sampling around it would hide that).
     */
    int select(float[] l, int vocab, int k, int[] out, long[] keys) {
        int groups = Math.max(64, (2 * k + 15) & ~15);
        float t = groups * 4 <= vocab ? threshold(l, vocab, k, groups) : Float.NEGATIVE_INFINITY;
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            float v = l[i];
            if (v >= t) {
                keys[n++] = key(v, i);
            } else if (v != v) {
                throw nan();
            }
        }
        Sampler.sortKeys(keys, n);
        for (int i = 0; i < k; i++) {
            out[i] = (int) keys[i];
        }
        return k;
    }

    /** The k-th largest of the G strided groups' maxima (or NaN when some logit is NaN). */
    private float threshold(float[] l, int vocab, int k, int groups) {
        if (groupMax.length < groups) {
            groupMax = new float[groups];
            sortedMax = new float[groups];
        }
        float[] m = groupMax;
        Arrays.fill(m, 0, groups, Float.NEGATIVE_INFINITY);
        int base = 0;
        for (; base + groups <= vocab; base += groups) {
            for (int j = 0; j < groups; j++) {
                m[j] = Math.max(m[j], l[base + j]);   // Math.max propagates NaN: caught by the collecting pass
            }
        }
        for (int j = 0; base + j < vocab; j++) {
            m[j] = Math.max(m[j], l[base + j]);
        }
        for (int j = 0; j < groups; j++) {
            if (m[j] != m[j]) {
                return Float.NaN;   // every logit then fails the threshold and the collecting pass finds the NaN
            }
        }
        System.arraycopy(m, 0, sortedMax, 0, groups);
        return kthLargest(sortedMax, groups, k);
    }

    /**
     * The k-th largest of {@code a[0, n)} (no NaN), reordering {@code a}: Hoare's selection, whose partitions touch
     * each value about twice in all, where a sort of the 64-128 group maxima was a tenth of a sample.
     */
    static float kthLargest(float[] a, int n, int k) {
        int lo = 0, hi = n - 1, want = n - k;   // the k-th largest is the (n - k)-th smallest
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (want <= j) {
                hi = j;
            } else if (want >= i) {
                lo = i;
            } else {
                return a[want];   // between the two parts: equal to the pivot
            }
        }
        return a[want];
    }

    /** Ascending keys = descending logit, then ascending id (the id in the low 32 bits). */
    static long key(float v, int id) {
        int b = Float.floatToRawIntBits(v);
        return ((long) ~(b ^ ((b >> 31) & 0x7fffffff)) << 32) | id;
    }

    private static IllegalArgumentException nan() {
        return Sampler.cannotSample(Float.NaN);
    }
}
