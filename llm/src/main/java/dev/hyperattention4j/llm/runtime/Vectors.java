package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.kernel.FixedExp;
import dev.hyperattention4j.kernel.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise kernels of the forward pass: residual add, RMSNorm, LayerNorm, SwiGLU gate, GELU. */
final class Vectors {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();

    private Vectors() {
    }

    /**
     * {@link LaneSum#sum}: the fixed tree of lane-wise adds that every runtime kernel folds its lanes with. At a width
     * forced below the preferred one ({@code -Dha4j.vectorBits}, tests), the same tree over this width's lanes.
     */
    static float sum(FloatVector v) {
        if (W == LaneSum.SPECIES.length()) {
            return LaneSum.sum(v);
        }
        for (VectorShuffle<Float> r : Rotations.ALL) {
            v = v.add(v.rearrange(r));
        }
        return v.lane(0);
    }

    /** Lane rotations by W/2, ..., 1 of {@link #S} (only used at a forced width). */
    private static final class Rotations {
        static final VectorShuffle<Float>[] ALL = LaneSum.rotations(S);

        private Rotations() {
        }
    }

    /**
     * {@link #sum} of the W lane values at {@code lanes[off ..]}, in place, without allocating (bit-identical: lane 0
     * of the rotation tree only ever combines lanes i and i + shift for i < shift). The kernels store their
     * accumulators and reduce them here, so no vector crosses a call that C2 might not inline.
     */
    static float sumLanes(float[] lanes, int off) {
        for (int sh = W / 2; sh >= 1; sh /= 2) {
            for (int i = 0; i < sh; i++) {
                lanes[off + i] = lanes[off + i] + lanes[off + i + sh];
            }
        }
        return lanes[off];
    }

    /** {@link #sum} of W lane values held in an array (bit-identical; the array is overwritten). */
    static float sumScalar(float[] lanes) {
        return sumLanes(lanes, 0);
    }

    /** Lane accumulators of the scalar twins: one per thread, so a decode step allocates nothing before C2 is ready. */
    private static final ThreadLocal<float[]> SCALAR_LANES = ThreadLocal.withInitial(() -> new float[W]);

    /** a[aOff + i] += b[bOff + i] for i in [0, n). */
    static void add(float[] a, int aOff, float[] b, int bOff, int n) {
        if (KernelWarmup.ready()) {
            addVector(a, aOff, b, bOff, n);
        } else {
            for (int i = 0; i < n; i++) {
                a[aOff + i] += b[bOff + i];
            }
        }
    }

    static void addVector(float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += W) {
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(a, aOff + i);
        }
        for (; i < n; i++) {
            a[aOff + i] += b[bOff + i];
        }
    }

    /**
     * out = x / sqrt(mean(x²) + eps) ⊙ weight, over n values: the vector kernel once compiled, else its scalar twin
     * (same bits: x² summed per lane by fma, lanes folded as in {@link #sum}, tail added in order).
     */
    static void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        if (KernelWarmup.ready()) {
            rmsNormVector(x, xOff, weight, eps, out, outOff, n);
            return;
        }
        int bound = n - n % W;
        float[] lanes = SCALAR_LANES.get();
        java.util.Arrays.fill(lanes, 0f);
        for (int i = 0; i < bound; i++) {
            lanes[i % W] = Math.fma(x[xOff + i], x[xOff + i], lanes[i % W]);
        }
        float ss = sumScalar(lanes);
        for (int i = bound; i < n; i++) {
            ss += x[xOff + i] * x[xOff + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * inv * weight[i];
        }
    }

    static void rmsNormVector(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
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

    /**
     * gate[i] = silu(gate[i]) · up[i] = gate·up / (1 + e^-gate), with {@link FixedExp} (JIT-independent); up is
     * overwritten (it holds gate·up afterwards).
     */
    static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        if (KernelWarmup.ready()) {
            siluMulVector(gate, gOff, up, uOff, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            float z = gate[gOff + i];
            float zu = up[uOff + i] * z;
            up[uOff + i] = zu;
            gate[gOff + i] = zu / (1f + FixedExp.exp(Math.fma(z, -1f, 0f)));
        }
    }

    static void siluMulVector(float[] gate, int gOff, float[] up, int uOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += W) {
            FloatVector.fromArray(S, up, uOff + i).mul(FloatVector.fromArray(S, gate, gOff + i)).intoArray(up, uOff + i);
        }
        for (; i < n; i++) {
            up[uOff + i] *= gate[gOff + i];
        }
        FixedExp.expSum(gate, gOff, n, -1f, 0f, true);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (i = 0; i < bound; i += W) {
            FloatVector.fromArray(S, up, uOff + i).div(one.add(FloatVector.fromArray(S, gate, gOff + i)))
                    .intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            gate[gOff + i] = up[uOff + i] / (1f + gate[gOff + i]);
        }
    }

    /**
     * LayerNorm with bias: out = (x − mean) / sqrt(var + eps) ⊙ weight + bias, over n values. Mean and variance are
     * accumulated in double in index order (one code path whatever the JIT state; the norm is a small share of a
     * block's work).
     */
    static void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float eps, float[] out, int outOff,
                          int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOff + i];
        }
        double mean = sum / n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = x[xOff + i] - mean;
            ss += d * d;
        }
        double inv = 1.0 / Math.sqrt(ss / n + eps);
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (float) ((x[xOff + i] - mean) * inv) * weight[i] + bias[i];
        }
    }

    private static final float GELU_2C = (float) (2 * Math.sqrt(2 / Math.PI));

    /**
     * h = gelu(h) in its tanh form, 0.5·h·(1 + tanh(√(2/π)(h + 0.044715h³))), written as h − h / (e^{2u} + 1) with
     * {@link FixedExp} (JIT-independent); {@code scratch[sOff .. sOff+n)} is overwritten.
     */
    static void gelu(float[] h, int hOff, float[] scratch, int sOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = h[hOff + i];
            scratch[sOff + i] = GELU_2C * (v + 0.044715f * v * v * v);
        }
        if (KernelWarmup.ready()) {
            FixedExp.expSum(scratch, sOff, n, 1f, 0f, true);
        } else {
            for (int i = 0; i < n; i++) {
                scratch[sOff + i] = FixedExp.exp(Math.fma(scratch[sOff + i], 1f, 0f));
            }
        }
        for (int i = 0; i < n; i++) {
            float v = h[hOff + i];
            h[hOff + i] = v - v / (scratch[sOff + i] + 1f);
        }
    }

    /** log Σ exp(a[off + i]) over n values (max-shifted, {@link FixedExp}, lanes summed in a fixed order). */
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
        return max + Math.log(FixedExp.expSum(a, off, n, 1f, -max, false));
    }
}
