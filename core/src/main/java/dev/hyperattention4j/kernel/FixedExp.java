package dev.hyperattention4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x in float from IEEE-exact operations only (fma, add, mul, compare, shifts), as a vector kernel and a scalar
 * twin that perform the same operations lane by lane ({@link #expSum}, {@link #exp(float)}). {@code lanewise(EXP)} is not used because C2 evaluates it with
 * a vector math stub and the interpreter with {@code Math.exp} per lane, which differ by an ulp: results then
 * depended on whether a kernel was compiled yet. These two agree bit for bit in any JIT state.
 *
 * <p>Method: k = round(x·log2 e), r = x − k·ln2 (Cody-Waite, two constants), e^r by its degree-7 Taylor polynomial
 * on |r| ≤ ln2/2 (truncation error below 6e-9), times 2^k built in the exponent field. Relative error about 1.5e-7.
 * x below −87.3 gives 0 (the true value is below the normal range), x above about 88.38 gives infinity (k = 128
 * fills the exponent field), NaN stays NaN.
 */
public final class FixedExp {
    private static final VectorSpecies<Float> S = LaneSum.SPECIES;
    private static final int W = S.length();
    private static final float LOG2E = 1.44269504f;
    /** 1.5·2^23 + 127: adding it rounds to an integer and leaves k + 127 in the low mantissa bits. */
    private static final float SHIFT = 0x1.8p23f + 127f;
    private static final float LN2_HI = 0.693359375f;   // few mantissa bits: k·LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float LO = -87.3f;
    private static final float HI = 88.72f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    private FixedExp() {
    }

    /**
     * {@code e_j = exp(a[off + j]·scale + shift)} for j in [0, n), written back when {@code store}; returns
     * {@code Σ e_j} with e_j in lane j mod W and the lanes folded by the fixed tree of {@link LaneSum#sum}. Array in,
     * float out on purpose: a helper that takes or returns vectors is boxed when C2 does not inline it.
     */
    public static float expSum(float[] a, int off, int n, float scale, float shift, boolean store) {
        FloatVector scaleV = FloatVector.broadcast(S, scale), shiftV = FloatVector.broadcast(S, shift);
        FloatVector log2e = FloatVector.broadcast(S, LOG2E), shiftK = FloatVector.broadcast(S, SHIFT);
        FloatVector hi = FloatVector.broadcast(S, HI), lo = FloatVector.broadcast(S, LO);
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < n; j += W) {
            VectorMask<Float> m = S.indexInRange(j, n);
            FloatVector x = FloatVector.fromArray(S, a, off + j, m).fma(scaleV, shiftV);
            FloatVector xc = x.blend(hi, x.compare(VectorOperators.GT, hi));
            xc = xc.blend(lo, xc.compare(VectorOperators.LT, lo));
            FloatVector z = xc.fma(log2e, shiftK);
            FloatVector k = z.sub(shiftK);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(S, C7), FloatVector.broadcast(S, C6));
            p = p.fma(r, FloatVector.broadcast(S, C5));
            p = p.fma(r, FloatVector.broadcast(S, C4));
            p = p.fma(r, FloatVector.broadcast(S, C3));
            p = p.fma(r, FloatVector.broadcast(S, C2));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            FloatVector pow2 = z.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.mul(pow2).blend(0f, x.compare(VectorOperators.LT, lo).or(m.not()));
            if (store) {
                e.intoArray(a, off + j, m);
            }
            sum = sum.add(e);
        }
        // LaneSum.sum by hand (a vector-typed call may be left out of line and boxed)
        if (W == 16) {
            sum = sum.add(sum.rearrange(LaneSum.Rotations.R8));
            sum = sum.add(sum.rearrange(LaneSum.Rotations.R4));
            sum = sum.add(sum.rearrange(LaneSum.Rotations.R2));
            sum = sum.add(sum.rearrange(LaneSum.Rotations.R1));
            return sum.lane(0);
        }
        return LaneSum.sum(sum);
    }

    /** e^x, bit-identical to the vector lanes of {@link #expSum}. */
    public static float exp(float x) {
        float xc = x > HI ? HI : x;
        xc = xc < LO ? LO : xc;
        float z = Math.fma(xc, LOG2E, SHIFT);
        float k = z - SHIFT;
        float r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float e = p * Float.intBitsToFloat(Float.floatToRawIntBits(z) << 23);
        return x < LO ? 0f : e;
    }
}
