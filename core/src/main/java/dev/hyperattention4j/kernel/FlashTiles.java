package dev.hyperattention4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three phases of one (query chunk × key tile) step of {@link FlashKernel}, each a self-contained vector loop
 * over arrays (no vector crosses a call, so nothing boxes even if C2 compiles a phase on its own). Public so the
 * JMH benchmarks can time each phase alone.
 *
 * <p>Layouts, with {@code T = KEY_TILE} keys per tile and {@code L} float lanes:
 * <ul>
 *   <li>queries {@code [rows][d]}, pre-scaled by {@code scale·log2(e)};</li>
 *   <li>keys of one tile transposed, {@code [d][T]}: the key index is the lane dimension;</li>
 *   <li>scores / probabilities {@code [rows][T]}; lane maxima {@code [rows][L]};</li>
 *   <li>values {@code [T][dp]} and the output accumulator {@code [rows][dp]}, with {@code dp} a multiple of L.</li>
 * </ul>
 * Row counts are multiples of {@link #ROW_BLOCK}; callers pad with zero query rows.
 */
public final class FlashTiles {
    static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    /** Keys per tile (Bc). */
    public static final int KEY_TILE = PackedKeyValues.KEY_TILE;
    /** Rows per register block of both micro-kernels. */
    public static final int ROW_BLOCK = 4;

    private FlashTiles() {}

    /**
     * {@code s = q·kTᵀ} for one key tile, and the per-row lane-wise maxima of s, computed while the accumulators are
     * still in registers (so the softmax needs no separate max pass). Micro-kernel: 4 rows × 4 vectors of keys =
     * 16 accumulators, plus 4 key loads and 1 broadcast: 21 of 32 registers.
     */
    public static void scoreTile(float[] q, int qOff, int rows, int d, float[] kT, int kOff, float[] s, float[] laneMax) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        for (int r = 0; r < rows; r += ROW_BLOCK) {
            final int q0 = qOff + r * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
            final int s0 = r * t, s1 = s0 + t, s2 = s1 + t, s3 = s2 + t;
            for (int vb = 0; vb < t; vb += 4 * lanes) {
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                int kc = kOff + vb;
                for (int c = 0; c < d; c++, kc += t) {
                    FloatVector k0 = FloatVector.fromArray(SPECIES, kT, kc);
                    FloatVector k1 = FloatVector.fromArray(SPECIES, kT, kc + lanes);
                    FloatVector k2 = FloatVector.fromArray(SPECIES, kT, kc + 2 * lanes);
                    FloatVector k3 = FloatVector.fromArray(SPECIES, kT, kc + 3 * lanes);
                    FloatVector b = FloatVector.broadcast(SPECIES, q[q0 + c]);
                    a00 = k0.fma(b, a00); a01 = k1.fma(b, a01); a02 = k2.fma(b, a02); a03 = k3.fma(b, a03);
                    b = FloatVector.broadcast(SPECIES, q[q1 + c]);
                    a10 = k0.fma(b, a10); a11 = k1.fma(b, a11); a12 = k2.fma(b, a12); a13 = k3.fma(b, a13);
                    b = FloatVector.broadcast(SPECIES, q[q2 + c]);
                    a20 = k0.fma(b, a20); a21 = k1.fma(b, a21); a22 = k2.fma(b, a22); a23 = k3.fma(b, a23);
                    b = FloatVector.broadcast(SPECIES, q[q3 + c]);
                    a30 = k0.fma(b, a30); a31 = k1.fma(b, a31); a32 = k2.fma(b, a32); a33 = k3.fma(b, a33);
                }
                a00.intoArray(s, s0 + vb); a01.intoArray(s, s0 + vb + lanes);
                a02.intoArray(s, s0 + vb + 2 * lanes); a03.intoArray(s, s0 + vb + 3 * lanes);
                a10.intoArray(s, s1 + vb); a11.intoArray(s, s1 + vb + lanes);
                a12.intoArray(s, s1 + vb + 2 * lanes); a13.intoArray(s, s1 + vb + 3 * lanes);
                a20.intoArray(s, s2 + vb); a21.intoArray(s, s2 + vb + lanes);
                a22.intoArray(s, s2 + vb + 2 * lanes); a23.intoArray(s, s2 + vb + 3 * lanes);
                a30.intoArray(s, s3 + vb); a31.intoArray(s, s3 + vb + lanes);
                a32.intoArray(s, s3 + vb + 2 * lanes); a33.intoArray(s, s3 + vb + 3 * lanes);
                // Lane maxima with compare+blend: FloatVector.max carries Java's NaN/-0.0 rules (~6 instructions).
                a00 = a00.blend(a01, a00.compare(VectorOperators.LT, a01));
                a02 = a02.blend(a03, a02.compare(VectorOperators.LT, a03));
                a00 = a00.blend(a02, a00.compare(VectorOperators.LT, a02));
                a10 = a10.blend(a11, a10.compare(VectorOperators.LT, a11));
                a12 = a12.blend(a13, a12.compare(VectorOperators.LT, a13));
                a10 = a10.blend(a12, a10.compare(VectorOperators.LT, a12));
                a20 = a20.blend(a21, a20.compare(VectorOperators.LT, a21));
                a22 = a22.blend(a23, a22.compare(VectorOperators.LT, a23));
                a20 = a20.blend(a22, a20.compare(VectorOperators.LT, a22));
                a30 = a30.blend(a31, a30.compare(VectorOperators.LT, a31));
                a32 = a32.blend(a33, a32.compare(VectorOperators.LT, a33));
                a30 = a30.blend(a32, a30.compare(VectorOperators.LT, a32));
                final int m0 = r * lanes, m1 = m0 + lanes, m2 = m1 + lanes, m3 = m2 + lanes;
                if (vb != 0) {
                    FloatVector o = FloatVector.fromArray(SPECIES, laneMax, m0);
                    a00 = a00.blend(o, a00.compare(VectorOperators.LT, o));
                    o = FloatVector.fromArray(SPECIES, laneMax, m1);
                    a10 = a10.blend(o, a10.compare(VectorOperators.LT, o));
                    o = FloatVector.fromArray(SPECIES, laneMax, m2);
                    a20 = a20.blend(o, a20.compare(VectorOperators.LT, o));
                    o = FloatVector.fromArray(SPECIES, laneMax, m3);
                    a30 = a30.blend(o, a30.compare(VectorOperators.LT, o));
                }
                a00.intoArray(laneMax, m0);
                a10.intoArray(laneMax, m1);
                a20.intoArray(laneMax, m2);
                a30.intoArray(laneMax, m3);
            }
        }
    }

    /**
     * The online-softmax update for one key tile starting at key {@code tileStart}: for each row, masks the keys it
     * may not see to -inf, takes the new running max {@code m}, turns the scores into {@code p = 2^(s - m)} in place,
     * sets {@code corr[r] = 2^(m_old - m_new)} (exactly 1 when the max did not grow, so {@link #valueTile} need not
     * rescale anything) and updates the row sum {@code l = l·corr + Σp} (in double: it is added once per tile).
     *
     * <p>Row r sees key j iff {@code keyFrom <= j < keyTo} and {@code j <= rowLimit + r}. A row that has seen no key
     * yet keeps {@code m = -inf}, {@code l = 0} and gets p = 0, so -inf - (-inf) never makes a NaN.
     */
    public static void softmaxTile(float[] s, float[] laneMax, int rows, int tileStart, int keyFrom, int keyTo,
                                   long rowLimit, float[] m, double[] l, float[] corr, float[] laneSum) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        final FloatVector c0 = FloatVector.broadcast(SPECIES, FastExp2.C0), c1 = FloatVector.broadcast(SPECIES, FastExp2.C1);
        final FloatVector c2 = FloatVector.broadcast(SPECIES, FastExp2.C2), c3 = FloatVector.broadcast(SPECIES, FastExp2.C3);
        final FloatVector c4 = FloatVector.broadcast(SPECIES, FastExp2.C4), c5 = FloatVector.broadcast(SPECIES, FastExp2.C5);
        final FloatVector c6 = FloatVector.broadcast(SPECIES, FastExp2.C6);
        final FloatVector round = FloatVector.broadcast(SPECIES, FastExp2.ROUND);
        final int lo = Math.max(0, keyFrom - tileStart);
        final int hiRange = Math.min(t, keyTo - tileStart);
        for (int r = 0; r < rows; r++) {
            final int row = r * t;
            final int hi = (int) Math.max(0, Math.min(hiRange, rowLimit + r + 1 - tileStart));
            float tileMax;
            if (lo == 0 && hi == t) {
                tileMax = FloatVector.fromArray(SPECIES, laneMax, r * lanes).reduceLanes(VectorOperators.MAX);
            } else {
                tileMax = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    if (j < lo || j >= hi) {
                        s[row + j] = Float.NEGATIVE_INFINITY;
                    } else if (!(s[row + j] <= tileMax)) {
                        tileMax = s[row + j];   // also takes a NaN, which then poisons the row as it should
                    }
                }
            }
            final float mOld = m[r];
            final float mNew = tileMax > mOld || tileMax != tileMax ? tileMax : mOld;
            if (mNew == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(s, row, row + t, 0f);
                corr[r] = 1f;
                continue;
            }
            final float c = mNew == mOld ? 1f : FastExp2.exp2(mOld - mNew);
            final FloatVector max = FloatVector.broadcast(SPECIES, mNew);
            FloatVector sum = FloatVector.zero(SPECIES);
            for (int j = 0; j < t; j += lanes) {
                // p = 2^(s - m): FastExp2 inlined by hand (see there for the method and its accuracy).
                FloatVector x = FloatVector.fromArray(SPECIES, s, row + j).sub(max);
                VectorMask<Float> under = x.compare(VectorOperators.LT, FastExp2.MIN_ARG);
                FloatVector tr = x.add(round);
                FloatVector f = x.sub(tr.sub(round));
                FloatVector p = c6.fma(f, c5).fma(f, c4).fma(f, c3).fma(f, c2).fma(f, c1).fma(f, c0);
                IntVector bits = p.reinterpretAsInts().add(tr.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23));
                p = ((FloatVector) bits.reinterpretAsFloats()).blend(0f, under);
                p.intoArray(s, row + j);
                sum = sum.add(p);
            }
            m[r] = mNew;
            corr[r] = c;
            // Reduce in a fixed scalar order: reduceLanes(ADD) sums in a different order when C2 intrinsifies it
            // than in the interpreter, which would make results depend on JIT timing (and so on thread count).
            sum.intoArray(laneSum, 0);
            double total = 0;
            for (int i = 0; i < lanes; i++) {
                total += laneSum[i];
            }
            l[r] = l[r] * c + total;
        }
    }

    /**
     * {@code o[r] = o[r]·corr[r] + p[r]·v} for one key tile: the running output, rescaled by the softmax correction
     * on load. Micro-kernel: 4 rows × 4 vectors of the head dimension (16 accumulators, 4 value loads, 1 broadcast);
     * a 4 × 1 kernel takes the remaining vectors when {@code dp} is not a multiple of 4 vectors.
     */
    public static void valueTile(float[] p, int rows, float[] v, int vOff, int dp, float[] o, float[] corr) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        for (int r = 0; r < rows; r += ROW_BLOCK) {
            final int p0 = r * t, p1 = p0 + t, p2 = p1 + t, p3 = p2 + t;
            final int o0 = r * dp, o1 = o0 + dp, o2 = o1 + dp, o3 = o2 + dp;
            final float e0 = corr[r], e1 = corr[r + 1], e2 = corr[r + 2], e3 = corr[r + 3];
            int cb = 0;
            for (; cb + 4 * lanes <= dp; cb += 4 * lanes) {
                final int c1 = cb + lanes, c2 = cb + 2 * lanes, c3 = cb + 3 * lanes;
                FloatVector a00 = FloatVector.fromArray(SPECIES, o, o0 + cb).mul(e0);
                FloatVector a01 = FloatVector.fromArray(SPECIES, o, o0 + c1).mul(e0);
                FloatVector a02 = FloatVector.fromArray(SPECIES, o, o0 + c2).mul(e0);
                FloatVector a03 = FloatVector.fromArray(SPECIES, o, o0 + c3).mul(e0);
                FloatVector a10 = FloatVector.fromArray(SPECIES, o, o1 + cb).mul(e1);
                FloatVector a11 = FloatVector.fromArray(SPECIES, o, o1 + c1).mul(e1);
                FloatVector a12 = FloatVector.fromArray(SPECIES, o, o1 + c2).mul(e1);
                FloatVector a13 = FloatVector.fromArray(SPECIES, o, o1 + c3).mul(e1);
                FloatVector a20 = FloatVector.fromArray(SPECIES, o, o2 + cb).mul(e2);
                FloatVector a21 = FloatVector.fromArray(SPECIES, o, o2 + c1).mul(e2);
                FloatVector a22 = FloatVector.fromArray(SPECIES, o, o2 + c2).mul(e2);
                FloatVector a23 = FloatVector.fromArray(SPECIES, o, o2 + c3).mul(e2);
                FloatVector a30 = FloatVector.fromArray(SPECIES, o, o3 + cb).mul(e3);
                FloatVector a31 = FloatVector.fromArray(SPECIES, o, o3 + c1).mul(e3);
                FloatVector a32 = FloatVector.fromArray(SPECIES, o, o3 + c2).mul(e3);
                FloatVector a33 = FloatVector.fromArray(SPECIES, o, o3 + c3).mul(e3);
                int vr = vOff + cb;
                for (int j = 0; j < t; j++, vr += dp) {
                    FloatVector v0 = FloatVector.fromArray(SPECIES, v, vr);
                    FloatVector v1 = FloatVector.fromArray(SPECIES, v, vr + lanes);
                    FloatVector v2 = FloatVector.fromArray(SPECIES, v, vr + 2 * lanes);
                    FloatVector v3 = FloatVector.fromArray(SPECIES, v, vr + 3 * lanes);
                    FloatVector b = FloatVector.broadcast(SPECIES, p[p0 + j]);
                    a00 = v0.fma(b, a00); a01 = v1.fma(b, a01); a02 = v2.fma(b, a02); a03 = v3.fma(b, a03);
                    b = FloatVector.broadcast(SPECIES, p[p1 + j]);
                    a10 = v0.fma(b, a10); a11 = v1.fma(b, a11); a12 = v2.fma(b, a12); a13 = v3.fma(b, a13);
                    b = FloatVector.broadcast(SPECIES, p[p2 + j]);
                    a20 = v0.fma(b, a20); a21 = v1.fma(b, a21); a22 = v2.fma(b, a22); a23 = v3.fma(b, a23);
                    b = FloatVector.broadcast(SPECIES, p[p3 + j]);
                    a30 = v0.fma(b, a30); a31 = v1.fma(b, a31); a32 = v2.fma(b, a32); a33 = v3.fma(b, a33);
                }
                a00.intoArray(o, o0 + cb); a01.intoArray(o, o0 + c1); a02.intoArray(o, o0 + c2); a03.intoArray(o, o0 + c3);
                a10.intoArray(o, o1 + cb); a11.intoArray(o, o1 + c1); a12.intoArray(o, o1 + c2); a13.intoArray(o, o1 + c3);
                a20.intoArray(o, o2 + cb); a21.intoArray(o, o2 + c1); a22.intoArray(o, o2 + c2); a23.intoArray(o, o2 + c3);
                a30.intoArray(o, o3 + cb); a31.intoArray(o, o3 + c1); a32.intoArray(o, o3 + c2); a33.intoArray(o, o3 + c3);
            }
            for (; cb < dp; cb += lanes) {
                FloatVector a0 = FloatVector.fromArray(SPECIES, o, o0 + cb).mul(e0);
                FloatVector a1 = FloatVector.fromArray(SPECIES, o, o1 + cb).mul(e1);
                FloatVector a2 = FloatVector.fromArray(SPECIES, o, o2 + cb).mul(e2);
                FloatVector a3 = FloatVector.fromArray(SPECIES, o, o3 + cb).mul(e3);
                int vr = vOff + cb;
                for (int j = 0; j < t; j++, vr += dp) {
                    FloatVector v0 = FloatVector.fromArray(SPECIES, v, vr);
                    a0 = v0.fma(FloatVector.broadcast(SPECIES, p[p0 + j]), a0);
                    a1 = v0.fma(FloatVector.broadcast(SPECIES, p[p1 + j]), a1);
                    a2 = v0.fma(FloatVector.broadcast(SPECIES, p[p2 + j]), a2);
                    a3 = v0.fma(FloatVector.broadcast(SPECIES, p[p3 + j]), a3);
                }
                a0.intoArray(o, o0 + cb);
                a1.intoArray(o, o1 + cb);
                a2.intoArray(o, o2 + cb);
                a3.intoArray(o, o3 + cb);
            }
        }
    }
}
