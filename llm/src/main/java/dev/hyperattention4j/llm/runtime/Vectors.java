package dev.hyperattention4j.llm.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise kernels of the forward pass: residual add, RMSNorm, SwiGLU gate. */
final class Vectors {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();

    /** Lane rotations by W/2, W/4, ..., 1 for {@link #sum}. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROTATIONS = new VectorShuffle[Integer.numberOfTrailingZeros(W)];

    static {
        for (int i = 0, shift = W / 2; shift >= 1; i++, shift /= 2) {
            ROTATIONS[i] = VectorShuffle.iota(S, shift, 1, true);
        }
    }

    private Vectors() {
    }

    /**
     * Sum of the lanes as a fixed tree of lane-wise adds. {@code reduceLanes(ADD)} may associate differently in
     * interpreted and compiled code, so a result would depend on JIT timing; this does not.
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> r : ROTATIONS) {
            v = v.add(v.rearrange(r));
        }
        return v.lane(0);
    }

    /** a[aOff + i] += b[bOff + i] for i in [0, n). */
    static void add(float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += W) {
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(a, aOff + i);
        }
        for (; i < n; i++) {
            a[aOff + i] += b[bOff + i];
        }
    }

    /** out = x / sqrt(mean(x²) + eps) ⊙ weight, over n values. */
    static void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += W) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            acc = v.fma(v, acc);
        }
        float ss = sum(acc);
        for (; i < n; i++) {
            ss += x[xOff + i] * x[xOff + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        FloatVector invV = FloatVector.broadcast(S, inv);
        for (i = 0; i < bound; i += W) {
            FloatVector.fromArray(S, x, xOff + i).mul(invV).mul(FloatVector.fromArray(S, weight, i))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * inv * weight[i];
        }
    }

    /** gate[i] = silu(gate[i]) · up[i], silu(z) = z / (1 + e^-z). */
    static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (; i < bound; i += W) {
            FloatVector z = FloatVector.fromArray(S, gate, gOff + i);
            FloatVector sig = one.div(one.add(z.neg().lanewise(VectorOperators.EXP)));
            z.mul(sig).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            float z = gate[gOff + i];
            gate[gOff + i] = (float) (z / (1.0 + Math.exp(-z))) * up[uOff + i];
        }
    }

    /** log Σ exp(a[off + i]) over n values (max-shifted, vectorised exp, lanes summed in a fixed order). */
    static double logSumExp(float[] a, int off, int n) {
        int bound = S.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(S, a, off);
            for (i = W; i < bound; i += W) {
                m = m.max(FloatVector.fromArray(S, a, off + i));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            max = Math.max(max, a[off + i]);
        }
        FloatVector shift = FloatVector.broadcast(S, max);
        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < bound; i += W) {
            acc = acc.add(FloatVector.fromArray(S, a, off + i).sub(shift).lanewise(VectorOperators.EXP));
        }
        double sum = sum(acc);
        for (; i < n; i++) {
            sum += Math.exp(a[off + i] - max);
        }
        return max + Math.log(sum);
    }
}
