package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.kernel.FixedExp;
import dev.hyperattention4j.llm.runtime.Linear;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SwiGLU gate {@code a = silu(g) ⊙ u} with {@code silu(g) = g·σ(g)}, and its gradient:
 * {@code dg = da ⊙ u ⊙ σ(g)·(1 + g·(1 − σ(g)))}, {@code du = da ⊙ silu(g)}. {@code σ(g) = 1/(1 + e^{−g})} with the
 * vectorised {@link FixedExp} (the same bits in any JIT state and for any split of the range); the element-wise
 * arithmetic is IEEE-exact lane by lane, so the scalar tail computes what a lane would.
 */
final class SwiGlu {
    private static final VectorSpecies<Float> S = Linear.SPECIES;

    private SwiGlu() {
    }

    static void forward(float[] g, float[] u, float[] a, int from, int to) {
        float[] e = negExp(g, from, to);
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector ev = FloatVector.fromArray(S, e, i - from);
            gv.mul(FloatVector.fromArray(S, u, i)).div(one.add(ev)).intoArray(a, i);
        }
        for (; i < to; i++) {
            a[i] = g[i] * u[i] / (1f + e[i - from]);
        }
    }

    /** Writes dg and du (overwriting) from da. */
    static void backward(float[] g, float[] u, float[] da, float[] dg, float[] du, int from, int to) {
        float[] e = negExp(g, from, to);
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector s = one.div(one.add(FloatVector.fromArray(S, e, i - from)));
            FloatVector d = FloatVector.fromArray(S, da, i);
            d.mul(FloatVector.fromArray(S, u, i)).mul(s).mul(one.add(gv.mul(one.sub(s)))).intoArray(dg, i);
            d.mul(gv.mul(s)).intoArray(du, i);
        }
        for (; i < to; i++) {
            float s = 1f / (1f + e[i - from]);
            dg[i] = da[i] * u[i] * s * (1f + g[i] * (1f - s));
            du[i] = da[i] * (g[i] * s);
        }
    }

    /** {@code e^{−g[i]}} for i in [from, to), at index i − from. */
    private static float[] negExp(float[] g, int from, int to) {
        float[] e = java.util.Arrays.copyOfRange(g, from, to);
        FixedExp.expSum(e, 0, e.length, -1f, 0f, true);
        return e;
    }
}
