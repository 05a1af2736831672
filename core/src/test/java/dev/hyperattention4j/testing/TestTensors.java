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
}
