package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FastExp2Test {

    /** Dense grid plus random points over the documented range [-125, 0]: relative error below 2 ulp (1.2e-7). */
    @Test
    void relativeErrorIsBelowTwoUlpOnTheSoftmaxRange() {
        int n = 1 << 20;
        float[] x = new float[n + 3];
        Random r = new Random(7);
        for (int i = 0; i < n; i++) {
            x[i] = i < n / 2 ? -125f * i / (n / 2) : -125f * r.nextFloat();
        }
        x[n] = 0f;
        x[n + 1] = -0.5f;
        x[n + 2] = -124.999f;
        float[] y = new float[x.length];
        assertThat(worstRelativeError(x, y)).isLessThan(1.2e-7);
        assertThat(y[n]).isEqualTo(1f);
    }

    /** The lazy-max softmax evaluates up to MAX_HEADROOM above the running max: same accuracy there (and beyond). */
    @Test
    void relativeErrorIsBelowTwoUlpAboveZeroUpToTheSoftmaxHeadroom() {
        int n = 1 << 16;
        float[] x = new float[n + 1];
        Random r = new Random(11);
        for (int i = 0; i < n; i++) {
            x[i] = i < n / 2 ? 64f * i / (n / 2) : FlashTiles.MAX_HEADROOM * r.nextFloat();
        }
        x[n] = FlashTiles.MAX_HEADROOM;
        float[] y = new float[x.length];
        assertThat(worstRelativeError(x, y)).isLessThan(1.2e-7);
        assertThat(y[n]).isEqualTo(256f);
    }

    /** Computes {@code y = 2^x} with the vector form and returns the largest relative error against Math.pow. */
    private static double worstRelativeError(float[] x, float[] y) {
        FastExp2.exp2(x, y, 0, x.length);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double exact = Math.pow(2, x[i]);
            worst = Math.max(worst, Math.abs(y[i] - exact) / exact);
        }
        return worst;
    }

    @Test
    void belowRangeIsExactlyZeroAndNanPropagates() {
        float[] x = {-125.5f, -200f, Float.NEGATIVE_INFINITY, -1e30f, Float.NaN};
        float[] y = new float[x.length];
        FastExp2.exp2(x, y, 0, x.length);
        assertThat(y).containsExactly(0f, 0f, 0f, 0f, y[4]);
        assertThat(y[4]).isNaN();
        for (int i = 0; i < 4; i++) {
            assertThat(FastExp2.exp2(x[i])).isZero();
        }
        assertThat(FastExp2.exp2(Float.NaN)).isNaN();
    }

    @Test
    void vectorAndScalarFormsAgreeBitForBit() {
        Random r = new Random(3);
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = -130f * r.nextFloat();
        }
        float[] y = new float[x.length];
        FastExp2.exp2(x, y, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).as("x = %s", x[i]).isEqualTo(FastExp2.exp2(x[i]));
        }
    }
}
