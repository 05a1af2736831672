package dev.hyperattention4j.llm.train;

/**
 * RMSNorm and its gradient, one token row at a time: {@code y = x·r ⊙ w} with {@code r = 1/sqrt(mean(x²) + eps)}.
 * Backward, with {@code g = dy ⊙ w}: {@code dx = r·g − r³·x·(g·x)/n} and {@code dw += dy ⊙ x·r}. Sums run in
 * double in index order.
 */
final class RmsNorm {
    private RmsNorm() {
    }

    /** Normalises {@code x[xOff, xOff+n)} into {@code out[outOff ..]}; returns r. */
    static float forward(float[] x, int xOff, float[] w, float eps, float[] out, int outOff, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[xOff + i] * x[xOff + i];
        }
        float r = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * r * w[i];
        }
        return r;
    }

    /** Adds the input gradient of one row to {@code dx[dxOff ..]}. */
    static void backward(float[] x, int xOff, float[] w, float r, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) dy[dyOff + i] * w[i] * x[xOff + i];
        }
        float c = (float) ((double) r * r * r * dot / n);
        for (int i = 0; i < n; i++) {
            dx[dxOff + i] += r * (dy[dyOff + i] * w[i]) - c * x[xOff + i];
        }
    }

    /**
     * {@code dw[i] += Σ_t dy[t][i]·x[t][i]·r[t]} for i in [from, to), tokens summed in order (callers split the
     * columns across threads, never the tokens).
     */
    static void weightGradient(float[] x, float[] r, float[] dy, int tokens, int n, float[] dw, int from, int to) {
        double[] s = new double[to - from];   // tokens in the outer loop: rows are read in memory order
        for (int t = 0; t < tokens; t++) {
            int row = t * n;
            for (int i = from; i < to; i++) {
                s[i - from] += (double) dy[row + i] * x[row + i] * r[t];
            }
        }
        for (int i = from; i < to; i++) {
            dw[i] += (float) s[i - from];
        }
    }
}
