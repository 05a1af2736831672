package dev.hyperattention4j.llm.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact attention of one new query row per head against every cached position (single-token decode). Scores use
 * the transposed key cache, so SIMD lanes run along positions and need no horizontal reduction; the softmax is a
 * max pass, one vectorised exp pass and the weighted sum of value rows. Scratch is one score row of the cache
 * capacity per worker: O(n), never O(n²).
 */
final class DecodeAttention {
    private static final VectorSpecies<Float> S = Linear.SPECIES;
    private static final int W = S.length();

    private DecodeAttention() {
    }

    /**
     * out[outOff .. + headDim) = softmax(scale · q·Kᵀ) · V over positions {@code [0, length)} of KV head kvh.
     */
    static void head(float[] q, int qOff, float[] keysT, float[] values, int kvh, int headDim, int capacity,
                     int length, float scale, float[] scores, float[] out, int outOff) {
        int kBase = kvh * headDim * capacity;
        int bound = S.loopBound(length);
        // scores = scale · q · K^T, vectorised over positions
        for (int c = 0; c < headDim; c++) {
            float qc = q[qOff + c] * scale;
            int kb = kBase + c * capacity;
            FloatVector qv = FloatVector.broadcast(S, qc);
            int j = 0;
            if (c == 0) {
                for (; j < bound; j += W) {
                    FloatVector.fromArray(S, keysT, kb + j).mul(qv).intoArray(scores, j);
                }
                for (; j < length; j++) {
                    scores[j] = qc * keysT[kb + j];
                }
            } else {
                for (; j < bound; j += W) {
                    FloatVector.fromArray(S, keysT, kb + j).fma(qv, FloatVector.fromArray(S, scores, j))
                            .intoArray(scores, j);
                }
                for (; j < length; j++) {
                    scores[j] += qc * keysT[kb + j];
                }
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (bound > 0) {
            FloatVector mv = FloatVector.fromArray(S, scores, 0);
            for (j = W; j < bound; j += W) {
                mv = mv.max(FloatVector.fromArray(S, scores, j));
            }
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; j < length; j++) {
            max = Math.max(max, scores[j]);
        }
        FloatVector maxv = FloatVector.broadcast(S, max);
        FloatVector sumv = FloatVector.zero(S);
        for (j = 0; j < bound; j += W) {
            FloatVector p = FloatVector.fromArray(S, scores, j).sub(maxv).lanewise(VectorOperators.EXP);
            p.intoArray(scores, j);
            sumv = sumv.add(p);
        }
        float sum = Vectors.sum(sumv);
        for (; j < length; j++) {
            float p = (float) Math.exp(scores[j] - max);
            scores[j] = p;
            sum += p;
        }
        float inv = 1f / sum;
        int vBase = kvh * capacity * headDim;
        if (headDim % W == 0) {
            for (int c0 = 0; c0 < headDim; c0 += W) {
                FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
                int p = 0;
                for (; p + 2 <= length; p += 2) {
                    a0 = FloatVector.fromArray(S, values, vBase + p * headDim + c0)
                            .fma(FloatVector.broadcast(S, scores[p]), a0);
                    a1 = FloatVector.fromArray(S, values, vBase + (p + 1) * headDim + c0)
                            .fma(FloatVector.broadcast(S, scores[p + 1]), a1);
                }
                if (p < length) {
                    a0 = FloatVector.fromArray(S, values, vBase + p * headDim + c0)
                            .fma(FloatVector.broadcast(S, scores[p]), a0);
                }
                a0.add(a1).mul(inv).intoArray(out, outOff + c0);
            }
        } else {
            java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
            for (int p = 0; p < length; p++) {
                float w = scores[p];
                int vb = vBase + p * headDim;
                for (int c = 0; c < headDim; c++) {
                    out[outOff + c] += w * values[vb + c];
                }
            }
            for (int c = 0; c < headDim; c++) {
                out[outOff + c] *= inv;
            }
        }
    }

    /**
     * The same computation in plain scalar code, for the first prompt of a fresh JVM (see {@link KernelWarmup}):
     * exact, fast from the first call in interpreted and C1 code, where vector code is not.
     */
    static void headScalar(float[] q, int qOff, float[] keysT, float[] values, int kvh, int headDim, int capacity,
                           int length, float scale, float[] scores, float[] out, int outOff) {
        int kBase = kvh * headDim * capacity;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < length; j++) {
            float s = 0f;
            for (int c = 0; c < headDim; c++) {
                s += q[qOff + c] * keysT[kBase + c * capacity + j];
            }
            scores[j] = s * scale;
            max = Math.max(max, scores[j]);
        }
        float sum = 0f;
        for (int j = 0; j < length; j++) {
            scores[j] = (float) Math.exp(scores[j] - max);
            sum += scores[j];
        }
        java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
        int vBase = kvh * capacity * headDim;
        for (int j = 0; j < length; j++) {
            float w = scores[j] / sum;
            for (int c = 0; c < headDim; c++) {
                out[outOff + c] += w * values[vBase + j * headDim + c];
            }
        }
    }
}
