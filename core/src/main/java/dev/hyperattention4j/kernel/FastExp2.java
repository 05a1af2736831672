package dev.hyperattention4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A fast {@code 2^x} for softmax arguments {@code x <= 0}: {@code x = k + f} with integer k and {@code f} in
 * [-1/2, 1/2]; {@code 2^f} is a degree-6 polynomial (a relative-error minimax fit, max fit error 1.9e-9) and
 * {@code 2^k} is added straight into the exponent bits. Adding {@code 1.5·2^23} rounds x to an integer and leaves k
 * in the low mantissa bits, so no float-to-int conversion (which carries a slow NaN fix-up) is needed.
 *
 * <p><b>Accuracy</b> (float32, Horner with FMA): max relative error about 1e-7 (below 2 ulp) for x in
 * [-125, 0], checked by {@code FastExp2Test}. Below -125 the result is exactly 0 (the true value is under
 * 2.4e-38, negligible next to a softmax row sum that is at least 1); -infinity gives 0 and NaN gives NaN. Arguments
 * above 0 keep the same accuracy up to 126 (the lazy-max softmax passes up to
 * {@code FlashTiles.MAX_HEADROOM}); beyond that the exponent field would overflow.
 *
 * <p>The flash kernel inlines the vector form by hand ({@link FlashTiles#softmaxTile}): a separately compiled
 * vector helper would box its arguments.
 */
public final class FastExp2 {
    static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;

    static final float C0 = 1.000000000e+00f;
    static final float C1 = 6.931471825e-01f;
    static final float C2 = 2.402264625e-01f;
    static final float C3 = 5.550328642e-02f;
    static final float C4 = 9.618489072e-03f;
    static final float C5 = 1.339993207e-03f;
    static final float C6 = 1.534581388e-04f;
    /** 1.5·2^23: adding it rounds |x| < 2^22 to an integer held in the low mantissa bits. */
    static final float ROUND = 12582912f;
    /** Arguments below this give exactly 0 (so 2^k never leaves the normal range). */
    static final float MIN_ARG = -125f;

    private FastExp2() {}

    /** Scalar form, bit-compatible with the vector form; used for the per-row rescale factor. */
    public static float exp2(float x) {
        if (x < MIN_ARG) {
            return 0f;
        }
        float t = x + ROUND;
        float f = x - (t - ROUND);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(C6, f, C5), f, C4), f, C3), f, C2), f, C1), f, C0);
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(t) << 23));
    }

    /** {@code dst[i] = 2^src[i]} for {@code i} in {@code [from, to)}; vectorised, with a scalar tail. */
    public static void exp2(float[] src, float[] dst, int from, int to) {
        FloatVector c0 = FloatVector.broadcast(SPECIES, C0), c1 = FloatVector.broadcast(SPECIES, C1);
        FloatVector c2 = FloatVector.broadcast(SPECIES, C2), c3 = FloatVector.broadcast(SPECIES, C3);
        FloatVector c4 = FloatVector.broadcast(SPECIES, C4), c5 = FloatVector.broadcast(SPECIES, C5);
        FloatVector c6 = FloatVector.broadcast(SPECIES, C6), round = FloatVector.broadcast(SPECIES, ROUND);
        int i = from;
        for (int bound = from + SPECIES.loopBound(to - from); i < bound; i += SPECIES.length()) {
            FloatVector x = FloatVector.fromArray(SPECIES, src, i);
            VectorMask<Float> under = x.compare(VectorOperators.LT, MIN_ARG);
            FloatVector t = x.add(round);
            FloatVector f = x.sub(t.sub(round));
            FloatVector p = c6.fma(f, c5).fma(f, c4).fma(f, c3).fma(f, c2).fma(f, c1).fma(f, c0);
            IntVector bits = p.reinterpretAsInts().add(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23));
            ((FloatVector) bits.reinterpretAsFloats()).blend(0f, under).intoArray(dst, i);
        }
        for (; i < to; i++) {
            dst[i] = exp2(src[i]);
        }
    }
}
