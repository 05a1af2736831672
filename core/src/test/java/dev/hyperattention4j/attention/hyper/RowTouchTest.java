package dev.hyperattention4j.attention.hyper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hyperattention4j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;

/** The paired touch reads the same elements of both tensors as {@link FloatTensor#touchRows} reads of each. */
class RowTouchTest {
    @Test
    void pairedTouchReadsWhatTouchRowsReadsOfEachTensor() {
        int[] rows = {5, 1, 5, 0, 6};
        for (int d : new int[] {1, 16, 33, 64}) {
            int n = 7, heads = 3;
            // small integers: every sum is exact, so the two orders of addition give the same value
            float[] x = new float[heads * n * d], y = new float[heads * n * d];
            for (int i = 0; i < x.length; i++) {
                x[i] = i % 7;
                y[i] = 100 * (i % 5);
            }
            FloatTensor a = FloatTensor.of(x, 1, heads, n, d), b = FloatTensor.of(y, 1, heads, n, d);
            float want = a.touchRows(0, 2, rows, 1, 5) + b.touchRows(0, 2, rows, 1, 5);
            assertEquals(want, RowTouch.pair(a, b, 0, 2, rows, 1, 5), "d=" + d);
        }
    }
}
