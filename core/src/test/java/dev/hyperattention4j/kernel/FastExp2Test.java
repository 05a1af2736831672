package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FastExp2Test {

    /** Dense grid plus random points over the documented range [-125, 0]: relative error below 2 ulp (1.2e-7). */
    @Test
    void relativeErrorIsBelowTwoUlpOnTheSoftmaxRange() {
        int n = 1 << 20;
        float[] x = gridThenRandom(n, -125f, -125f, 7, 0f, -0.5f, -124.999f);
        float[] y = new float[x.length];
        assertThat(worstRelativeError(x, y)).isLessThan(1.2e-7);
        assertThat(y[n]).isEqualTo(1f);
    }

    /** The lazy-max softmax evaluates up to MAX_HEADROOM above the running max: same accuracy there (and beyond). */
    @Test
    void relativeErrorIsBelowTwoUlpAboveZeroUpToTheSoftmaxHeadroom() {
        int n = 1 << 16;
        float[] x = gridThenRandom(n, 64f, FlashTiles.MAX_HEADROOM, 11, FlashTiles.MAX_HEADROOM);
        float[] y = new float[x.length];
        assertThat(worstRelativeError(x, y)).isLessThan(1.2e-7);
        assertThat(y[n]).isEqualTo(256f);
    }

    /**
     * n points: a uniform grid from 0 to {@code gridEnd} in the first half, uniform random points between 0 and
     * {@code randomEnd} in the second; then {@code extra}.
     */
    private static float[] gridThenRandom(int n, float gridEnd, float randomEnd, long seed, float... extra) {
        float[] x = new float[n + extra.length];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            x[i] = i < n / 2 ? gridEnd * i / (n / 2) : randomEnd * r.nextFloat();
        }
        System.arraycopy(extra, 0, x, n, extra.length);
        return x;
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
