package dev.hyperattention4j.attention;

import static dev.hyperattention4j.testing.TestTensors.gaussian;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.reference.NaiveBackward;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Validates the oracle itself: its gradients against central finite differences of a double-precision loss. */
class NaiveBackwardTest {

    /** loss = Σ dO·O + Σ dL·L, everything in double, from the definition (independent of NaiveBackward's code). */
    static double loss(double[][][] q, double[][][] k, double[][][] v, double[][][] dO, double[][] dL, double scale,
                       boolean causal, int g) {
        int hq = q.length, nq = q[0].length, nk = k[0].length, d = q[0][0].length;
        double total = 0;
        for (int h = 0; h < hq; h++) {
            for (int i = 0; i < nq; i++) {
                int last = causal ? Math.min(nk - 1, i + nk - nq) : nk - 1;
                if (last < 0) {
                    continue;
                }
                double[] s = new double[last + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= last; j++) {
                    for (int c = 0; c < d; c++) {
                        s[j] += q[h][i][c] * k[h / g][j][c];
                    }
                    s[j] *= scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j <= last; j++) {
                    sum += Math.exp(s[j] - max);
                }
                for (int c = 0; c < d; c++) {
                    double o = 0;
                    for (int j = 0; j <= last; j++) {
                        o += Math.exp(s[j] - max) / sum * v[h / g][j][c];
                    }
                    total += dO[h][i][c] * o;
                }
                total += dL[h][i] * (max + Math.log(sum));
            }
        }
        return total;
    }

    static double[][][] toDouble(FloatTensor t) {
        double[][][] x = new double[t.heads()][t.length()][t.dim()];
        for (int h = 0; h < t.heads(); h++) {
            for (int i = 0; i < t.length(); i++) {
                for (int c = 0; c < t.dim(); c++) {
                    x[h][i][c] = t.get(0, h, i, c);
                }
            }
        }
        return x;
    }

    /** Central differences in double with step 1e-5 are accurate to ~1e-9; 1e-6 catches any wrong term. */
    @ParameterizedTest(name = "Hq={0} Hkv={1} nq={2} nk={3} causal={4}")
    @CsvSource({"1, 1, 5, 5, true", "2, 1, 4, 6, false", "4, 2, 6, 3, true"})
    void matchesFiniteDifferences(int hq, int hkv, int nq, int nk, boolean causal) {
        Random r = new Random(hq * 100 + nq * 10 + nk);
        int d = 4;
        FloatTensor q = gaussian(r, 1, 1, hq, nq, d), k = gaussian(r, 1, 1, hkv, nk, d), v = gaussian(r, 1, 1, hkv, nk, d);
        FloatTensor dO = gaussian(r, 1, 1, hq, nq, d);
        float[] dLf = new float[hq * nq];
        double[][] dL = new double[hq][nq];
        for (int h = 0; h < hq; h++) {
            for (int i = 0; i < nq; i++) {
                dLf[h * nq + i] = (float) r.nextGaussian();
                dL[h][i] = dLf[h * nq + i];
            }
        }
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
        Gradients grads = NaiveBackward.gradients(p, dO, dLf);
        double[][][] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v), dOd = toDouble(dO);
        int g = hq / hkv;
        double step = 1e-5;
        double[][][][] inputs = {qd, kd, vd};
        FloatTensor[] analytic = {grads.query(), grads.key(), grads.value()};
        for (int which = 0; which < 3; which++) {
            double[][][] x = inputs[which];
            for (int h = 0; h < x.length; h++) {
                for (int i = 0; i < x[0].length; i++) {
                    for (int c = 0; c < d; c++) {
                        double keep = x[h][i][c];
                        x[h][i][c] = keep + step;
                        double up = loss(qd, kd, vd, dOd, dL, p.scale(), causal, g);
                        x[h][i][c] = keep - step;
                        double down = loss(qd, kd, vd, dOd, dL, p.scale(), causal, g);
                        x[h][i][c] = keep;
                        double numeric = (up - down) / (2 * step);
                        assertThat((double) analytic[which].get(0, h, i, c))
                                .as("input %d [%d][%d][%d]", which, h, i, c)
                                .isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-6 + 1e-6 * Math.abs(numeric)));
                    }
                }
            }
        }
    }
}
