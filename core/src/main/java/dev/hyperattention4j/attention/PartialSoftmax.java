package dev.hyperattention4j.attention;

/**
 * Merging two softmax attentions over disjoint key sets. Each part is a normalised output row O and its
 * natural-log normaliser L; the union's row is {@code c·O1 + (1-c)·O2} with {@code L = logaddexp(L1, L2)} and
 * {@code c = exp(L1 - L)}. An empty part has {@code L = -inf} and contributes nothing. Exact, associative and
 * order-independent (up to rounding): HyperAttention's two parts and its causal levels all merge through here.
 */
public final class PartialSoftmax {
    private PartialSoftmax() {}

    /** log(exp(a) + exp(b)) without overflow; -inf when both are -inf. */
    public static float logAddExp(float a, float b) {
        if (a == Float.NEGATIVE_INFINITY) {
            return b;
        }
        if (b == Float.NEGATIVE_INFINITY) {
            return a;
        }
        float m = Math.max(a, b);
        return (float) (m + Math.log(Math.exp(a - m) + Math.exp(b - m)));
    }

    /**
     * Merges row 2 into row 1 in place: {@code o1[off1..off1+d)} becomes the union's output; returns the union's L.
     */
    public static float mergeInto(float[] o1, int off1, float l1, float[] o2, int off2, float l2, int d) {
        if (l2 == Float.NEGATIVE_INFINITY) {
            return l1;
        }
        if (l1 == Float.NEGATIVE_INFINITY) {
            System.arraycopy(o2, off2, o1, off1, d);
            return l2;
        }
        float l = logAddExp(l1, l2);
        float c1 = (float) Math.exp(l1 - l);
        float c2 = (float) Math.exp(l2 - l);
        for (int j = 0; j < d; j++) {
            o1[off1 + j] = c1 * o1[off1 + j] + c2 * o2[off2 + j];
        }
        return l;
    }
}
