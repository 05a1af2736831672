package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionRowTest {

    private static float[] gaussian(Random r, int n, float sd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * sd;
        }
        return x;
    }

    /**
     * The vector row kernel, its scalar twin and the four-row kernel produce the same bits (so results do not depend
     * on the JIT state, on prefill vs decode, nor on how rows are grouped), and match a float64 softmax to 1e-5 of
     * the largest output; key strides wider than n (the KV cache layout) and ragged tails included.
     */
    @ParameterizedTest(name = "d={0} n0={1} stride={2}")
    @CsvSource({"16,1,20", "16,5,5", "16,13,16", "16,16,40", "16,61,64", "16,200,211", "8,1,4", "8,37,40",
            "32,70,80", "12,19,22"})
    void kernelsAgreeBitForBitAndMatchFloat64(int d, int n0, int stride) {
        Random r = new Random(d * 1000L + n0);
        int kv = Math.max(stride, n0 + 3);
        float[] q = gaussian(r, 4 * d, 1f), kt = gaussian(r, d * kv, 1f), v = gaussian(r, kv * d, 1f);
        float scale = (float) (1 / Math.sqrt(d));
        int ss = roundUp(kv, LaneSum.SPECIES.length());
        float[] s = new float[4 * ss];
        float[] four = new float[4 * d];
        AttentionRow.rows4(q, 0, d, kt, 0, kv, v, 0, d, n0, scale, s, ss, four, 0, d);
        for (int row = 0; row < 4; row++) {
            int n = n0 + row;
            float[] vec = new float[d], sca = new float[d];
            float lseV = AttentionRow.row(q, row * d, kt, 0, kv, v, 0, d, n, scale, s, vec, 0);
            float lseS = AttentionRow.rowScalar(q, row * d, kt, 0, kv, v, 0, d, n, scale, s, sca, 0);
            assertThat(sca).as("scalar twin, row %d", row).containsExactly(vec);
            assertThat(lseS).isEqualTo(lseV);
            assertThat(java.util.Arrays.copyOfRange(four, row * d, row * d + d)).as("rows4, row %d", row)
                    .containsExactly(vec);
            // float64 reference
            double[] sc = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                for (int c = 0; c < d; c++) {
                    sc[j] += (double) q[row * d + c] * kt[c * kv + j];
                }
                sc[j] *= scale;
                max = Math.max(max, sc[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sc[j] = Math.exp(sc[j] - max);
                sum += sc[j];
            }
            double maxOut = 0, maxErr = 0;
            for (int c = 0; c < d; c++) {
                double o = 0;
                for (int j = 0; j < n; j++) {
                    o += sc[j] * v[j * d + c];
                }
                o /= sum;
                maxOut = Math.max(maxOut, Math.abs(o));
                maxErr = Math.max(maxErr, Math.abs(o - vec[c]));
            }
            assertThat(maxErr).isLessThanOrEqualTo(1e-5 * maxOut);
            assertThat((double) lseV).isCloseTo(max + Math.log(sum), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    /** FixedExp: vector lanes equal the scalar twin bit for bit; 2e-7 relative to Math.exp; edge values. */
    @Test
    void fixedExpIsAccurateAndTheSameInVectorAndScalarCode() {
        Random r = new Random(7);
        int n = 1003;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 180 - 90);
        }
        x[0] = Float.NaN;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = Float.POSITIVE_INFINITY;
        x[3] = 0f;
        x[4] = -87.2f;
        x[5] = 88.3f;
        float[] e = x.clone();
        float sum = FixedExp.expSum(e, 0, n, 1f, 0f, true);
        float[] lanes = new float[LaneSum.SPECIES.length()];
        for (int i = 0; i < n; i++) {
            float s = FixedExp.exp(x[i]);
            assertThat(Float.floatToRawIntBits(e[i])).as("exp(%s)", x[i]).isEqualTo(Float.floatToRawIntBits(s));
            lanes[i % lanes.length] += s;
            if (Float.isFinite(x[i]) && x[i] > -87.3f && x[i] < 88.3f) {
                double ref = Math.exp(x[i]);
                assertThat(Math.abs(s - ref)).as("exp(%s)", x[i]).isLessThanOrEqualTo(2e-7 * ref);
            }
        }
        assertThat(Float.isNaN(e[0])).isTrue();
        assertThat(e[1]).isZero();
        assertThat(e[2]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(e[3]).isEqualTo(1f);
        assertThat(Float.isNaN(sum)).isTrue();
        // the sum's fixed lane tree, without the NaN lane
        float[] y = java.util.Arrays.copyOfRange(x, 16, n);
        float sumY = FixedExp.expSum(y, 0, y.length, 0.5f, -3f, false);
        java.util.Arrays.fill(lanes, 0f);
        for (int i = 0; i < y.length; i++) {
            lanes[i % lanes.length] += FixedExp.exp(Math.fma(y[i], 0.5f, -3f));
        }
        assertThat(sumY).isEqualTo(LaneSum.sumScalar(lanes));
        assertThat(y[0]).as("store=false leaves the input alone").isEqualTo(x[16]);
    }

    /**
     * The same call gives the same bits before and after C2 compiles the kernels (the interpreter runs the Vector
     * API's Java fallback, C2 its intrinsics; reduceLanes(ADD) and lanewise(EXP) differ between the two, so these
     * kernels avoid them).
     */
    @Test
    void compiledKernelsGiveTheBitsOfInterpretedOnes() {
        Random r = new Random(3);
        int d = 16, n0 = 45, kv = 48;
        float[] q = gaussian(r, 4 * d, 1f), kt = gaussian(r, d * kv, 1f), v = gaussian(r, kv * d, 1f);
        int ss = roundUp(kv, LaneSum.SPECIES.length());
        float[] s = new float[4 * ss];
        float[] first = new float[4 * d], again = new float[4 * d], one = new float[d];
        AttentionRow.rows4(q, 0, d, kt, 0, kv, v, 0, d, n0, 0.25f, s, ss, first, 0, d);
        float lse = AttentionRow.row(q, 0, kt, 0, kv, v, 0, d, n0, 0.25f, s, one, 0);
        for (int i = 0; i < 30_000; i++) {
            AttentionRow.rows4(q, 0, d, kt, 0, kv, v, 0, d, n0, 0.25f, s, ss, again, 0, d);
            AttentionRow.row(q, 0, kt, 0, kv, v, 0, d, n0, 0.25f, s, again, 0);
        }
        AttentionRow.rows4(q, 0, d, kt, 0, kv, v, 0, d, n0, 0.25f, s, ss, again, 0, d);
        assertThat(again).containsExactly(first);
        float[] oneAgain = new float[d];
        assertThat(AttentionRow.row(q, 0, kt, 0, kv, v, 0, d, n0, 0.25f, s, oneAgain, 0)).isEqualTo(lse);
        assertThat(oneAgain).containsExactly(one);
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
