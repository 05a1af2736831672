package dev.hyperattention4j.testing;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;

/** Random tensors and error measures shared by the attention tests. */
public final class TestTensors {
    private TestTensors() {}

    /** A contiguous tensor of N(0, sigma²) entries. */
    public static FloatTensor gaussian(Random random, double sigma, int b, int h, int n, int d) {
        float[] x = new float[b * h * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (sigma * random.nextGaussian());
        }
        return FloatTensor.of(x, b, h, n, d);
    }

    /**
     * max |actual − expected| / max |expected|: relative to the tensor's scale, because per-element relative error
     * is meaningless for entries near zero (docs/DESIGN.md §9.4).
     */
    public static double maxRelativeError(FloatTensor expected, FloatTensor actual) {
        float[] e = expected.toArray(), a = actual.toArray();
        if (e.length != a.length) {
            throw new AssertionError("shapes differ: " + expected.shapeString() + " vs " + actual.shapeString());
        }
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < e.length; i++) {
            if (!Float.isFinite(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxErr = Math.max(maxErr, Math.abs((double) a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }

    /** max |x| over all entries (infinite when any entry is not finite). */
    public static double maxAbs(FloatTensor t) {
        double m = 0;
        for (float x : t.toArray()) {
            if (!Float.isFinite(x)) {
                return Double.POSITIVE_INFINITY;
            }
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /**
     * {@code max|x - ref| / max|ref|}: per-element relative error is meaningless for outputs near zero (an
     * attention output is an average of values, so many entries are), so errors are normalised by the largest
     * reference magnitude (docs/DESIGN.md §9.4). Returns the absolute error when the reference
     * is all zero.
     */
    public static double maxNormalisedError(float[] ref, float[] x) {
        double err = 0, scale = 0;
        for (int i = 0; i < ref.length; i++) {
            err = Math.max(err, Math.abs((double) x[i] - ref[i]));
            scale = Math.max(scale, Math.abs((double) ref[i]));
        }
        return scale == 0 ? err : err / scale;
    }

    /** {@code max |x - ref| / max(1, |ref|)} over finite references; infinite references must match exactly. */
    public static double logSumExpError(float[] ref, float[] x) {
        double err = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isInfinite(ref[i])) {
                if (x[i] != ref[i]) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            err = Math.max(err, Math.abs((double) x[i] - ref[i]) / Math.max(1.0, Math.abs(ref[i])));
        }
        return err;
    }

    /** The three gradients of two runs are equal to the bit (dQ, dK and dV in turn, named in the failure). */
    public static void assertSameBits(dev.hyperattention4j.attention.Gradients expected,
                                      dev.hyperattention4j.attention.Gradients actual) {
        org.assertj.core.api.Assertions.assertThat(actual.query().toArray()).as("dQ")
                .isEqualTo(expected.query().toArray());
        org.assertj.core.api.Assertions.assertThat(actual.key().toArray()).as("dK").isEqualTo(expected.key().toArray());
        org.assertj.core.api.Assertions.assertThat(actual.value().toArray()).as("dV")
                .isEqualTo(expected.value().toArray());
    }
}
