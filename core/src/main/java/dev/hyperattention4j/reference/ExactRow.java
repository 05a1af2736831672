package dev.hyperattention4j.reference;

import dev.hyperattention4j.attention.AttentionProblem;

/**
 * One exact output row of an attention problem in double precision, straight from the definition: the scores
 * {@code s_j = scale·q_i·k_j} over the keys row i sees, {@code w_j = exp(s_j − max)}, {@code o_i = Σ w_j·v_j / Σ w_j}.
 * O(nk·d) time and O(nk) memory per row, so a few rows of any problem can be checked without an O(n²) run.
 */
public final class ExactRow {
    private final float[] q, kv;
    private double[] scores = new double[0];   // after compute: the unnormalised weights exp(s_j − max)
    private double sum;

    /** Scratch for rows of head dim {@code d}; one instance per thread. */
    public ExactRow(int d) {
        this.q = new float[d];
        this.kv = new float[d];
    }

    /**
     * Writes exact output row i of query head h (batch b) to {@code out[0, d)} and returns its natural-log
     * normaliser; a row that sees no key gets zeros and {@code -Infinity}.
     */
    public double compute(AttentionProblem p, int b, int h, int i, double[] out) {
        int d = p.headDim(), kvh = h / p.groupSize();
        int last = Math.min(p.keyLength() - 1, p.lastVisibleKey(i));
        java.util.Arrays.fill(out, 0, d, 0);
        if (last < 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (scores.length < last + 1) {
            scores = new double[p.keyLength()];
        }
        p.query().readRow(b, h, i, q, 0);
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= last; j++) {
            p.key().readRow(b, kvh, j, kv, 0);
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += (double) q[c] * kv[c];
            }
            scores[j] = s * p.scale();
            max = Math.max(max, scores[j]);
        }
        sum = 0;
        for (int j = 0; j <= last; j++) {
            double w = Math.exp(scores[j] - max);
            scores[j] = w;
            sum += w;
            p.value().readRow(b, kvh, j, kv, 0);
            for (int c = 0; c < d; c++) {
                out[c] += w * kv[c];
            }
        }
        for (int c = 0; c < d; c++) {
            out[c] /= sum;
        }
        return max + Math.log(sum);
    }

    /** After {@link #compute}: the attention probability of key j of that row (j up to its last visible key). */
    public double probability(int j) {
        return scores[j] / sum;
    }
}
