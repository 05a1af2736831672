package dev.hyperattention4j.attention.hyper;

/**
 * Log-sum-exp merge of two attention parts over disjoint key sets (docs/DESIGN.md §2.4), for a run of rows at once:
 * first the per-row weights (one exp and one log per row), then {@code O = c1·O1 + c2·O2} row by row.
 * The weights use {@code Math.exp}/{@code Math.log} on purpose: the Vector API's {@code EXP}/{@code LOG} round
 * differently in interpreted and compiled code, which made results depend on JIT timing (and so on the thread count).
 *
 * <p>Exact form: with {@code e = exp(-|L1 − L2|)}, {@code L = max(L1, L2) + log(1 + e)} and the larger part gets
 * weight {@code 1/(1+e)}, the smaller {@code e/(1+e)}. An empty part ({@code L = −∞}) gets weight 0 and leaves the
 * other unchanged. Both parts empty (every key's logit overflowed to −∞) gives weights 0 and {@code L = −∞}: a zero
 * row that a later level may still merge with, or that {@link ExactFallback} recomputes. The reference's form
 * ({@link #REFERENCE_EPS}, §6 row 4): {@code c = 1/(1 + exp(L2 − L1))}, {@code L = L1 − log(c + 1.1920929e-7)};
 * argument order matters there, and it merges even an empty residual part ({@code L1 − log(1 + eps)}).
 */
enum LogSumExpMerge {
    /** The exact log-add-exp: the project's merge, the only one with a backward. */
    EXACT {
        @Override
        void weights(float[] l1, float[] l2, float add2, int n, float[] c1, float[] c2, float[] l) {
            for (int r = 0; r < n; r++) {
                float a = l1[r], b = l2[r] + add2;
                if (a == Float.NEGATIVE_INFINITY && b == Float.NEGATIVE_INFINITY) {
                    c1[r] = 0f;                          // -inf - -inf would make every weight NaN
                    c2[r] = 0f;
                    l[r] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                double diff = (double) a - b;
                double e = Math.exp(-Math.abs(diff));
                double big = 1.0 / (1.0 + e), small = e * big;
                boolean firstLarger = diff >= 0;
                c1[r] = (float) (firstLarger ? big : small);
                c2[r] = (float) (firstLarger ? small : big);
                l[r] = (float) ((firstLarger ? a : b) + Math.log(1.0 + e));
            }
        }

        @Override
        boolean mergesEmptyResidual() {
            return false;
        }
    },
    /** The reference's merge with an eps clip (compatibility row 4). */
    REFERENCE_EPS {
        @Override
        void weights(float[] l1, float[] l2, float add2, int n, float[] c1, float[] c2, float[] l) {
            for (int r = 0; r < n; r++) {
                double a = l1[r], b = (double) l2[r] + add2;
                double c = b == Double.NEGATIVE_INFINITY ? 1.0 : a == Double.NEGATIVE_INFINITY ? 0.0
                        : 1.0 / (1.0 + Math.exp(b - a));
                c1[r] = (float) c;
                c2[r] = (float) (1.0 - c);
                l[r] = (float) (a - Math.log(c + EPS));
            }
        }

        @Override
        boolean mergesEmptyResidual() {
            return true;
        }
    };

    private static final double EPS = 1.1920929e-7;

    /**
     * Weights for rows {@code [0, n)}: part 1 has {@code l1[r]}, part 2 has {@code l2[r] + add2}. Writes
     * {@code c1[r]}, {@code c2[r]} and the merged {@code l[r]} ({@code l} may alias {@code l1}).
     */
    abstract void weights(float[] l1, float[] l2, float add2, int n, float[] c1, float[] c2, float[] l);

    /** Whether a pass with a residual part whose samples are all masked still merges (with an empty part 2). */
    abstract boolean mergesEmptyResidual();

    /** log(exp(a) + exp(b)) without overflow; -inf when both are -inf. */
    static float logAddExp(float a, float b) {
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
     * {@code o1[off1 ..+d) = c1·o1 + c2·o2[off2 ..+d)}. A plain loop on purpose: C2 vectorises it, and unlike
     * Vector API code it stays cheap while the JIT has not compiled it yet (no boxed vectors).
     */
    static void combine(float[] o1, int off1, float c1, float[] o2, int off2, float c2, int d) {
        for (int k = 0; k < d; k++) {
            o1[off1 + k] = c1 * o1[off1 + k] + c2 * o2[off2 + k];
        }
    }
}
