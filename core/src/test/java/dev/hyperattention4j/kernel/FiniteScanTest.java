package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FiniteScanTest {

    /** Every position, vector body or scalar tail, and every kind of non-finite value is caught; ranges are honoured. */
    @Test
    void findsANonFiniteValueAtAnyPosition() {
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] a = new float[37];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i - 18) * 1e37f / 18;     // large but finite, including ±1e37 and 0
        }
        assertThat(FiniteScan.allFinite(a, 0, a.length)).isTrue();
        for (float x : bad) {
            for (int i = 0; i < a.length; i++) {
                float keep = a[i];
                a[i] = x;
                assertThat(FiniteScan.allFinite(a, 0, a.length)).as("%s at %d", x, i).isFalse();
                assertThat(FiniteScan.allFinite(a, i + 1, a.length)).isTrue();
                a[i] = keep;
            }
        }
    }
}
