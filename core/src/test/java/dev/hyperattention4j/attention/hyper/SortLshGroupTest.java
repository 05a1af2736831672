package dev.hyperattention4j.attention.hyper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link SortLsh#hashRows} in groups of rows gives every row the key of the one-row path, ties of x·w = 0 included. */
class SortLshGroupTest {
    @ParameterizedTest
    @CsvSource({"64, 7, 1023", "80, 7, 37", "16, 8, 5", "64, 3, 4", "64, 12, 9", "64, 0, 6"})
    void groupedHashingEqualsRowByRow(int d, int r, int n) {
        Random random = new Random(d * 100L + r);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        for (int c = 0; c < d; c++) {
            x[3 * d + c] = 0f;                    // a zero row: bucket 0 (strict test)
        }
        FloatTensor t = FloatTensor.of(x, 1, 1, n, d);
        SortLsh lsh = new SortLsh(SortLsh.gaussianProjection(d, r, 11), false);
        int[] grouped = new int[n + 2], single = new int[n + 2];
        lsh.hashRows(t, 0, 0, 1, n, grouped, 2, new float[lsh.hashScratchLength()]);
        lsh.hashRows(t, 0, 0, 1, n, single, 2, new float[d]);
        assertThat(grouped).containsExactly(single);
        for (int i = 1; i < n; i++) {
            assertThat(single[i + 1]).isEqualTo(lsh.sortKeyOfBucket(lsh.bucket(x, i * d)));
        }
    }
}
