package dev.hyperattention4j.testing;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;

/** Seeded random tensors and the error measures the attention tests share. */
public final class Tensors {
    private Tensors() {}

    /** A contiguous tensor of N(0, sigma²) entries. */
    public static FloatTensor gaussian(Random r, int b, int h, int n, int d, double sigma) {
        float[] x = new float[b * h * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (sigma * r.nextGaussian());
        }
        return FloatTensor.of(x, b, h, n, d);
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
}
