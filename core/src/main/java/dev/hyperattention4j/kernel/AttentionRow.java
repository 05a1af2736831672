package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Row.CHAINS;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact attention of one query row against keys {@code [0, n)} stored transposed ({@code Kᵀ[c][j]} at
 * {@code keysT[kBase + c·kStride + j]}) with value rows {@code V[j]} at {@code values[vBase + j·d]}: the kernel of
 * prefill (the LLM runtime's {@code RowwiseAttention} and its session's fused path over the KV cache) and of
 * single-token decode.
 * SIMD lanes run along the keys, so scores need no horizontal reduction.
 *
 * <p>Every output is a fixed sequence of IEEE operations that does not depend on how keys are grouped into
 * vectors: a score is one fma chain over c; e = exp(s·scale − max·scale) by {@link FixedExp}; the sum of e is kept
 * in 16 lanes (key j in lane j mod 16), folded by the fixed tree of {@link LaneSum#sum}; an
 * output column sums p·v in 4 fma chains (key k in chain k mod 4) combined pairwise. {@link #rowScalar} performs
 * the same operations in scalar code (fast while the vector code is still interpreted) and gives identical bits,
 * so results depend neither on the thread count, nor on prefill vs decode, nor on the JIT state.
 */
public final class AttentionRow {
    private static final VectorSpecies<Float> S = LaneSum.SPECIES;
    private static final int W = S.length();
    /** Lane accumulators of the scalar twin: one per thread, so a cold decode step allocates nothing. */
    private static final ThreadLocal<float[]> SCALAR_LANES = ThreadLocal.withInitial(() -> new float[W]);

    private AttentionRow() {
    }

    /**
     * Writes softmax(scale·q·Kᵀ)·V of one row to {@code out[outOff .. + d)} using {@code s[0 .. n)} as scratch;
     * returns the natural-log normaliser. Requires n ≥ 1.
     */
    public static float row(float[] q, int qOff, float[] keysT, int kBase, int kStride, float[] values, int vBase, int d,
                     int n, float scale, float[] s, float[] out, int outOff) {
        float max = scores(q, qOff, keysT, kBase, kStride, d, n, s);
        float sum = FixedExp.expSum(s, 0, n, scale, -max * scale, true);
        float inv = 1f / sum;
        if (d % W == 0) {
            weightedSum(values, vBase, d, n, s, inv, out, outOff);
        } else {
            weightedSumScalar(values, vBase, d, n, s, inv, out, outOff);
        }
        return (float) (max * scale + Math.log(sum));
    }

    /** s[j] = q·K[j] for j in [0, n); returns the largest. */
    static float scores(float[] q, int qOff, float[] keysT, int kBase, int kStride, int d, int n, float[] s) {
        int bound = S.loopBound(n);
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j + 8 * W <= bound; j += 8 * W) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S), a4 = FloatVector.zero(S), a5 = FloatVector.zero(S);
            FloatVector a6 = FloatVector.zero(S), a7 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                FloatVector qc = FloatVector.broadcast(S, q[qOff + c]);
                int kb = kBase + c * kStride + j;
                a0 = FloatVector.fromArray(S, keysT, kb).fma(qc, a0);
                a1 = FloatVector.fromArray(S, keysT, kb + W).fma(qc, a1);
                a2 = FloatVector.fromArray(S, keysT, kb + 2 * W).fma(qc, a2);
                a3 = FloatVector.fromArray(S, keysT, kb + 3 * W).fma(qc, a3);
                a4 = FloatVector.fromArray(S, keysT, kb + 4 * W).fma(qc, a4);
                a5 = FloatVector.fromArray(S, keysT, kb + 5 * W).fma(qc, a5);
                a6 = FloatVector.fromArray(S, keysT, kb + 6 * W).fma(qc, a6);
                a7 = FloatVector.fromArray(S, keysT, kb + 7 * W).fma(qc, a7);
            }
            a0.intoArray(s, j);
            a1.intoArray(s, j + W);
            a2.intoArray(s, j + 2 * W);
            a3.intoArray(s, j + 3 * W);
            a4.intoArray(s, j + 4 * W);
            a5.intoArray(s, j + 5 * W);
            a6.intoArray(s, j + 6 * W);
            a7.intoArray(s, j + 7 * W);
            mv = mv.max(a0.max(a1).max(a2.max(a3))).max(a4.max(a5).max(a6.max(a7)));
        }
        for (; j < n; j += W) {
            // the last block may be partial: masked loads, and masked-out lanes never reach max or sum
            VectorMask<Float> m = S.indexInRange(j, n);
            FloatVector a0 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                a0 = FloatVector.fromArray(S, keysT, kBase + c * kStride + j, m)
                        .fma(FloatVector.broadcast(S, q[qOff + c]), a0);
            }
            a0.intoArray(s, j, m);
            mv = mv.max(a0.blend(Float.NEGATIVE_INFINITY, m.not()));
        }
        return mv.reduceLanes(VectorOperators.MAX);
    }

    /** out[outOff + c] = inv · Σ_k s[k]·V[k][c], d a multiple of W: 4 fma chains per column block. */
    static void weightedSum(float[] values, int vBase, int d, int n, float[] s, float inv, float[] out, int outOff) {
        for (int c0 = 0; c0 < d; c0 += W) {
            FloatVector o0 = FloatVector.zero(S), o1 = FloatVector.zero(S);
            FloatVector o2 = FloatVector.zero(S), o3 = FloatVector.zero(S);
            int vb = vBase + c0;
            int k = 0;
            for (; k + CHAINS <= n; k += CHAINS) {
                int v0 = vb + k * d;
                o0 = FloatVector.fromArray(S, values, v0).fma(FloatVector.broadcast(S, s[k]), o0);
                o1 = FloatVector.fromArray(S, values, v0 + d).fma(FloatVector.broadcast(S, s[k + 1]), o1);
                o2 = FloatVector.fromArray(S, values, v0 + 2 * d).fma(FloatVector.broadcast(S, s[k + 2]), o2);
                o3 = FloatVector.fromArray(S, values, v0 + 3 * d).fma(FloatVector.broadcast(S, s[k + 3]), o3);
            }
            // the tail keys continue their own chains (key k in chain k mod 4)
            int left = n - k, v0 = vb + k * d;
            if (left > 0) o0 = FloatVector.fromArray(S, values, v0).fma(FloatVector.broadcast(S, s[k]), o0);
            if (left > 1) o1 = FloatVector.fromArray(S, values, v0 + d).fma(FloatVector.broadcast(S, s[k + 1]), o1);
            if (left > 2) o2 = FloatVector.fromArray(S, values, v0 + 2 * d).fma(FloatVector.broadcast(S, s[k + 2]), o2);
            o0.add(o1).add(o2.add(o3)).mul(inv).intoArray(out, outOff + c0);
        }
    }

    /**
     * Four consecutive query rows of one head at once, bit-identical to four {@link #row} calls: row r (at
     * {@code q[qOff + r·qStride]}, scores at {@code s[r·sStride]}, output at {@code out[outOff + r·outStride]})
     * sees keys [0, n0 + r). Each K and V vector loaded serves all four rows, which cuts the cache traffic that
     * bounds the one-row kernel. {@code sStride} must be at least n0 + 3 rounded up to W.
     */
    public static void rows4(float[] q, int qOff, int qStride, float[] keysT, int kBase, int kStride, float[] values,
                      int vBase, int d, int n0, float scale, float[] s, int sStride, float[] out, int outOff,
                      int outStride) {
        if (d % W != 0) {
            for (int r = 0; r < 4; r++) {
                row(q, qOff + r * qStride, keysT, kBase, kStride, values, vBase, d, n0 + r, scale, s, out,
                        outOff + r * outStride);
            }
            return;
        }
        int nMax = n0 + 3;
        scores4(q, qOff, qStride, keysT, kBase, kStride, d, nMax, s, sStride);
        float inv0 = normalise(s, 0, n0, nMax, scale);
        float inv1 = normalise(s, sStride, n0 + 1, nMax, scale);
        float inv2 = normalise(s, 2 * sStride, n0 + 2, nMax, scale);
        float inv3 = normalise(s, 3 * sStride, n0 + 3, nMax, scale);
        for (int c0 = 0; c0 < d; c0 += W) {
            weightedSum4(values, vBase + c0, d, nMax, s, sStride, inv0, inv1, inv2, inv3, out, outOff + c0,
                    outStride);
        }
    }

    /**
     * Scores [sb, sb + n) → exp weights as in {@link #row}; weights of keys [n, nMax) set to 0 (acc + 0·v = acc
     * exactly, so the shared sweep of {@link #weightedSum4} equals the one-row sum); returns 1 / Σ.
     */
    private static float normalise(float[] s, int sb, int n, int nMax, float scale) {
        int bound = S.loopBound(n);
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += W) {
            mv = mv.max(FloatVector.fromArray(S, s, sb + j));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, s[sb + j]);
        }
        float sum = FixedExp.expSum(s, sb, n, scale, -max * scale, true);
        for (int k = n; k < nMax; k++) {
            s[sb + k] = 0f;
        }
        return 1f / sum;
    }

    /** Q·Kᵀ of four rows for keys [0, nMax): each K vector is loaded once for the four rows. */
    private static void scores4(float[] q, int qOff, int qStride, float[] keysT, int kBase, int kStride, int d,
                                int nMax, float[] s, int sStride) {
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
        int s1 = sStride, s2 = 2 * sStride, s3 = 3 * sStride;
        int bound = S.loopBound(nMax);
        int j = 0;
        for (; j + 4 * W <= bound; j += 4 * W) {
            FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S), a02 = FloatVector.zero(S);
            FloatVector a03 = FloatVector.zero(S), a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
            FloatVector a12 = FloatVector.zero(S), a13 = FloatVector.zero(S), a20 = FloatVector.zero(S);
            FloatVector a21 = FloatVector.zero(S), a22 = FloatVector.zero(S), a23 = FloatVector.zero(S);
            FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S), a32 = FloatVector.zero(S);
            FloatVector a33 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                int kb = kBase + c * kStride + j;
                FloatVector k0 = FloatVector.fromArray(S, keysT, kb);
                FloatVector k1 = FloatVector.fromArray(S, keysT, kb + W);
                FloatVector k2 = FloatVector.fromArray(S, keysT, kb + 2 * W);
                FloatVector k3 = FloatVector.fromArray(S, keysT, kb + 3 * W);
                FloatVector b = FloatVector.broadcast(S, q[qOff + c]);
                a00 = k0.fma(b, a00); a01 = k1.fma(b, a01); a02 = k2.fma(b, a02); a03 = k3.fma(b, a03);
                b = FloatVector.broadcast(S, q[q1 + c]);
                a10 = k0.fma(b, a10); a11 = k1.fma(b, a11); a12 = k2.fma(b, a12); a13 = k3.fma(b, a13);
                b = FloatVector.broadcast(S, q[q2 + c]);
                a20 = k0.fma(b, a20); a21 = k1.fma(b, a21); a22 = k2.fma(b, a22); a23 = k3.fma(b, a23);
                b = FloatVector.broadcast(S, q[q3 + c]);
                a30 = k0.fma(b, a30); a31 = k1.fma(b, a31); a32 = k2.fma(b, a32); a33 = k3.fma(b, a33);
            }
            a00.intoArray(s, j); a01.intoArray(s, j + W); a02.intoArray(s, j + 2 * W); a03.intoArray(s, j + 3 * W);
            a10.intoArray(s, s1 + j); a11.intoArray(s, s1 + j + W);
            a12.intoArray(s, s1 + j + 2 * W); a13.intoArray(s, s1 + j + 3 * W);
            a20.intoArray(s, s2 + j); a21.intoArray(s, s2 + j + W);
            a22.intoArray(s, s2 + j + 2 * W); a23.intoArray(s, s2 + j + 3 * W);
            a30.intoArray(s, s3 + j); a31.intoArray(s, s3 + j + W);
            a32.intoArray(s, s3 + j + 2 * W); a33.intoArray(s, s3 + j + 3 * W);
        }
        for (; j < nMax; j += W) {
            VectorMask<Float> m = S.indexInRange(j, nMax);
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                FloatVector k = FloatVector.fromArray(S, keysT, kBase + c * kStride + j, m);
                a0 = k.fma(FloatVector.broadcast(S, q[qOff + c]), a0);
                a1 = k.fma(FloatVector.broadcast(S, q[q1 + c]), a1);
                a2 = k.fma(FloatVector.broadcast(S, q[q2 + c]), a2);
                a3 = k.fma(FloatVector.broadcast(S, q[q3 + c]), a3);
            }
            a0.intoArray(s, j, m);
            a1.intoArray(s, s1 + j, m);
            a2.intoArray(s, s2 + j, m);
            a3.intoArray(s, s3 + j, m);
        }
    }

    /** One column block of four rows' weighted value sums over keys [0, n): 4 rows × 4 chains (key k in chain k mod 4). */
    private static void weightedSum4(float[] values, int vb, int d, int n, float[] s, int ss, float inv0, float inv1,
                                     float inv2, float inv3, float[] out, int ob, int os) {
        FloatVector o00 = FloatVector.zero(S), o01 = FloatVector.zero(S), o02 = FloatVector.zero(S);
        FloatVector o03 = FloatVector.zero(S), o10 = FloatVector.zero(S), o11 = FloatVector.zero(S);
        FloatVector o12 = FloatVector.zero(S), o13 = FloatVector.zero(S), o20 = FloatVector.zero(S);
        FloatVector o21 = FloatVector.zero(S), o22 = FloatVector.zero(S), o23 = FloatVector.zero(S);
        FloatVector o30 = FloatVector.zero(S), o31 = FloatVector.zero(S), o32 = FloatVector.zero(S);
        FloatVector o33 = FloatVector.zero(S);
        int s1 = ss, s2 = 2 * ss, s3 = 3 * ss;
        int k = 0;
        for (; k + 4 <= n; k += 4) {
            int v0 = vb + k * d;
            FloatVector v = FloatVector.fromArray(S, values, v0);
            o00 = v.fma(FloatVector.broadcast(S, s[k]), o00);
            o10 = v.fma(FloatVector.broadcast(S, s[s1 + k]), o10);
            o20 = v.fma(FloatVector.broadcast(S, s[s2 + k]), o20);
            o30 = v.fma(FloatVector.broadcast(S, s[s3 + k]), o30);
            v = FloatVector.fromArray(S, values, v0 + d);
            o01 = v.fma(FloatVector.broadcast(S, s[k + 1]), o01);
            o11 = v.fma(FloatVector.broadcast(S, s[s1 + k + 1]), o11);
            o21 = v.fma(FloatVector.broadcast(S, s[s2 + k + 1]), o21);
            o31 = v.fma(FloatVector.broadcast(S, s[s3 + k + 1]), o31);
            v = FloatVector.fromArray(S, values, v0 + 2 * d);
            o02 = v.fma(FloatVector.broadcast(S, s[k + 2]), o02);
            o12 = v.fma(FloatVector.broadcast(S, s[s1 + k + 2]), o12);
            o22 = v.fma(FloatVector.broadcast(S, s[s2 + k + 2]), o22);
            o32 = v.fma(FloatVector.broadcast(S, s[s3 + k + 2]), o32);
            v = FloatVector.fromArray(S, values, v0 + 3 * d);
            o03 = v.fma(FloatVector.broadcast(S, s[k + 3]), o03);
            o13 = v.fma(FloatVector.broadcast(S, s[s1 + k + 3]), o13);
            o23 = v.fma(FloatVector.broadcast(S, s[s2 + k + 3]), o23);
            o33 = v.fma(FloatVector.broadcast(S, s[s3 + k + 3]), o33);
        }
        int left = n - k, v0 = vb + k * d;
        if (left > 0) {
            FloatVector v = FloatVector.fromArray(S, values, v0);
            o00 = v.fma(FloatVector.broadcast(S, s[k]), o00);
            o10 = v.fma(FloatVector.broadcast(S, s[s1 + k]), o10);
            o20 = v.fma(FloatVector.broadcast(S, s[s2 + k]), o20);
            o30 = v.fma(FloatVector.broadcast(S, s[s3 + k]), o30);
        }
        if (left > 1) {
            FloatVector v = FloatVector.fromArray(S, values, v0 + d);
            o01 = v.fma(FloatVector.broadcast(S, s[k + 1]), o01);
            o11 = v.fma(FloatVector.broadcast(S, s[s1 + k + 1]), o11);
            o21 = v.fma(FloatVector.broadcast(S, s[s2 + k + 1]), o21);
            o31 = v.fma(FloatVector.broadcast(S, s[s3 + k + 1]), o31);
        }
        if (left > 2) {
            FloatVector v = FloatVector.fromArray(S, values, v0 + 2 * d);
            o02 = v.fma(FloatVector.broadcast(S, s[k + 2]), o02);
            o12 = v.fma(FloatVector.broadcast(S, s[s1 + k + 2]), o12);
            o22 = v.fma(FloatVector.broadcast(S, s[s2 + k + 2]), o22);
            o32 = v.fma(FloatVector.broadcast(S, s[s3 + k + 2]), o32);
        }
        o00.add(o01).add(o02.add(o03)).mul(inv0).intoArray(out, ob);
        o10.add(o11).add(o12.add(o13)).mul(inv1).intoArray(out, ob + os);
        o20.add(o21).add(o22.add(o23)).mul(inv2).intoArray(out, ob + 2 * os);
        o30.add(o31).add(o32.add(o33)).mul(inv3).intoArray(out, ob + 3 * os);
    }

    /** {@link #row} in scalar code, bit-identical. */
    public static float rowScalar(float[] q, int qOff, float[] keysT, int kBase, int kStride, float[] values, int vBase,
                           int d, int n, float scale, float[] s, float[] out, int outOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            s[j] = score(q, qOff, keysT, kBase, kStride, d, j);
            max = Math.max(max, s[j]);
        }
        float shift = -max * scale;
        float[] lanes = SCALAR_LANES.get();
        java.util.Arrays.fill(lanes, 0f);
        for (int j = 0; j < n; j++) {
            float e = FixedExp.exp(Math.fma(s[j], scale, shift));
            s[j] = e;
            lanes[j % W] += e;
        }
        float sum = LaneSum.sumScalar(lanes);
        float inv = 1f / sum;
        if (d % W == 0) {
            // four chains over k mod 4, as the vector kernel's four accumulators (locals: no allocation per row)
            for (int c = 0; c < d; c++) {
                float c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f;
                int k = 0;
                for (; k + 4 <= n; k += 4) {
                    int vb = vBase + k * d + c;
                    c0 = Math.fma(values[vb], s[k], c0);
                    c1 = Math.fma(values[vb + d], s[k + 1], c1);
                    c2 = Math.fma(values[vb + 2 * d], s[k + 2], c2);
                    c3 = Math.fma(values[vb + 3 * d], s[k + 3], c3);
                }
                if (k < n) {
                    c0 = Math.fma(values[vBase + k * d + c], s[k], c0);
                }
                if (k + 1 < n) {
                    c1 = Math.fma(values[vBase + (k + 1) * d + c], s[k + 1], c1);
                }
                if (k + 2 < n) {
                    c2 = Math.fma(values[vBase + (k + 2) * d + c], s[k + 2], c2);
                }
                out[outOff + c] = ((c0 + c1) + (c2 + c3)) * inv;
            }
        } else {
            weightedSumScalar(values, vBase, d, n, s, inv, out, outOff);
        }
        return (float) (max * scale + Math.log(sum));
    }

    private static float score(float[] q, int qOff, float[] keysT, int kBase, int kStride, int d, int j) {
        float acc = 0f;
        for (int c = 0; c < d; c++) {
            acc = Math.fma(keysT[kBase + c * kStride + j], q[qOff + c], acc);
        }
        return acc;
    }

    /** Head dims that are not a multiple of the vector width (8, 12 with AVX-512): one chain per column. */
    private static void weightedSumScalar(float[] values, int vBase, int d, int n, float[] s, float inv, float[] out,
                                          int outOff) {
        java.util.Arrays.fill(out, outOff, outOff + d, 0f);
        for (int k = 0; k < n; k++) {
            float w = s[k];
            int vb = vBase + k * d;
            for (int c = 0; c < d; c++) {
                out[outOff + c] = Math.fma(w, values[vb + c], out[outOff + c]);
            }
        }
        for (int c = 0; c < d; c++) {
            out[outOff + c] *= inv;
        }
    }
}
