package dev.hyperattention4j.llm.train;

/**
 * The SwiGLU gate {@code a = silu(g) ⊙ u} with {@code silu(g) = g·σ(g)}, and its gradient:
 * {@code dg = da ⊙ u ⊙ σ(g)·(1 + g·(1 − σ(g)))}, {@code du = da ⊙ silu(g)}.
 */
final class SwiGlu {
    private SwiGlu() {
    }

    static void forward(float[] g, float[] u, float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            float s = sigmoid(g[i]);
            a[i] = g[i] * s * u[i];
        }
    }

    /** Writes dg and du (overwriting) from da. */
    static void backward(float[] g, float[] u, float[] da, float[] dg, float[] du, int from, int to) {
        for (int i = from; i < to; i++) {
            float s = sigmoid(g[i]);
            float silu = g[i] * s;
            dg[i] = da[i] * u[i] * s * (1f + g[i] * (1f - s));
            du[i] = da[i] * silu;
        }
    }

    static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + StrictMath.exp(-z)));
    }
}
