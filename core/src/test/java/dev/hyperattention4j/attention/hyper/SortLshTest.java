package dev.hyperattention4j.attention.hyper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SortLshTest {

    /** Buckets listed by increasing sort key. */
    static int[] bucketOrder(SortLsh lsh) {
        int[] order = new int[lsh.keyCount()];
        for (int bucket = 0; bucket < order.length; bucket++) {
            order[lsh.sortKeyOfBucket(bucket)] = bucket;
        }
        return order;
    }

    @Test
    void grayRankOrdersBucketsAsTheGraySequence() {
        SortLsh lsh = new SortLsh(new float[4][3], false);
        assertThat(bucketOrder(lsh)).containsExactly(0, 1, 3, 2, 6, 7, 5, 4);
        // the reference's quirk keys on the encoding instead (compatibility row 1)
        assertThat(bucketOrder(new SortLsh(new float[4][3], true))).containsExactly(0, 1, 3, 2, 7, 6, 4, 5);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 7, 10, 16})
    void neighbouringBucketsInSortOrderDifferInOneHyperplane(int r) {
        int[] order = bucketOrder(new SortLsh(new float[2][r], false));
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            assertThat(seen[order[i]]).as("bucket %d listed twice", order[i]).isFalse();
            seen[order[i]] = true;
            if (i > 0) {
                assertThat(Integer.bitCount(order[i] ^ order[i - 1])).as("buckets at ranks %d, %d", i - 1, i)
                        .isEqualTo(1);
            }
            assertThat(SortLsh.grayCode(SortLsh.grayRank(order[i]))).isEqualTo(order[i]);
        }
    }

    @Test
    void bucketBitsAreStrictSignsOfTheProjections() {
        Random random = new Random(3);
        int d = 37, r = 7;  // d not a multiple of the vector length: exercises the scalar tail
        float[][] w = SortLsh.gaussianProjection(d, r, 11);
        SortLsh lsh = new SortLsh(w, false);
        float[] x = new float[d];
        for (int trial = 0; trial < 200; trial++) {
            for (int c = 0; c < d; c++) {
                x[c] = (float) random.nextGaussian();
            }
            int expected = 0;
            for (int j = 0; j < r; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += (double) x[c] * w[c][j];
                }
                if (dot > 0) {
                    expected |= 1 << j;
                }
            }
            assertThat(lsh.bucket(x, 0)).isEqualTo(expected);
        }
        assertThat(lsh.bucket(new float[d], 0)).as("a zero row is bucket 0 (strict test)").isZero();
    }

    @Test
    void projectionIsReproducibleFromItsSeed() {
        assertThat(SortLsh.gaussianProjection(16, 7, 5)).isDeepEqualTo(SortLsh.gaussianProjection(16, 7, 5));
        assertThat(SortLsh.gaussianProjection(16, 7, 5)[0]).isNotEqualTo(SortLsh.gaussianProjection(16, 7, 6)[0]);
    }

    @Test
    void countingSortIsStable() {
        int[] keys = {3, 1, 3, 0, 1, 3, 0, 2};
        int[] perm = new int[keys.length + 2];
        SortLsh.stableSort(keys, 0, keys.length, 4, perm, 2, new int[5]);
        assertThat(java.util.Arrays.copyOfRange(perm, 2, perm.length)).containsExactly(3, 6, 1, 4, 7, 0, 2, 5);
    }

    @Test
    void similarRowsShareBucketsMoreOftenThanRandomRows() {
        // the property sortLSH relies on: P[same bucket] falls with the angle between rows
        Random random = new Random(9);
        int d = 64, n = 2000;
        SortLsh lsh = new SortLsh(SortLsh.gaussianProjection(d, 7, 1), false);
        FloatTensor base = HyperTesting.randn(random, 1, 1, n, d);
        float[] x = base.toArray();
        float[] near = x.clone();
        for (int i = 0; i < near.length; i++) {
            near[i] += 0.2f * (float) random.nextGaussian();
        }
        int same = 0, sameRandom = 0;
        for (int i = 0; i < n; i++) {
            if (lsh.bucket(x, i * d) == lsh.bucket(near, i * d)) {
                same++;
            }
            if (lsh.bucket(x, i * d) == lsh.bucket(x, ((i + 1) % n) * d)) {
                sameRandom++;
            }
        }
        // angle ≈ atan(0.2) ≈ 0.197 rad: P[same bucket] = (1 − θ/π)^7 ≈ 0.64; random pairs: ≈ 2^-7
        assertThat(same / (double) n).isBetween(0.55, 0.75);
        assertThat(sameRandom / (double) n).isLessThan(0.03);
    }
}
