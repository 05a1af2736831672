package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.attention.hyper.HyperTesting.randn;
import static dev.hyperattention4j.attention.hyper.HyperTesting.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestPools;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sampled residual: own-block masking and unbiasedness (docs/DESIGN.md §2.3, §4 "Unbiasedness test"). */
class ResidualSamplingTest {
    static final WorkerPool pool = TestPools.twoThreads();

    @Test
    void samplesInsideTheQuerysOwnBlockAreMasked() {
        // r = 0: sorted order = original order, block t = rows [64t, 64t+64). Every injected sample lies in key
        // block 0, so queries of block 0 have no residual (they must equal the block-only result) while the other
        // blocks' queries see all m samples with weight n/m.
        Random r = new Random(41);
        int n = 512, b = 64, m = 16;
        FloatTensor q = randn(r, 1, 1, n, 16), k = randn(r, 1, 1, n, 16), v = randn(r, 1, 1, n, 16);
        int[] draw = new int[m];
        for (int i = 0; i < m; i++) {
            draw[i] = (i * 5) % b;
        }
        HyperConfig cfg = new HyperConfig(b, m, 0, 16, 1, 0, HyperConfig.Compat.OFF);
        float[] masked = replay(cfg, q, k, v, draw);
        float[] blockOnly = HyperTesting.run(new HyperAttention(cfg.withSampleSize(0), pool), q, k, v, false)
                .output().toArray();
        float[] counted = replay(cfg.withCompat(new HyperConfig.Compat(false, true, false, false)), q, k, v, draw);
        int d = 16;
        float[] own = java.util.Arrays.copyOfRange(masked, 0, b * d);
        assertThat(own).containsExactly(java.util.Arrays.copyOfRange(blockOnly, 0, b * d));
        assertThat(relErr(java.util.Arrays.copyOfRange(counted, 0, b * d), own))
                .as("counting own-block samples changes block 0").isGreaterThan(1e-2);
        assertThat(relErr(java.util.Arrays.copyOfRange(masked, b * d, n * d),
                java.util.Arrays.copyOfRange(blockOnly, b * d, n * d))).as("other blocks use the samples")
                .isGreaterThan(1e-2);
        assertThat(java.util.Arrays.copyOfRange(counted, b * d, n * d))
                .containsExactly(java.util.Arrays.copyOfRange(masked, b * d, n * d));
    }

    private static float[] replay(HyperConfig cfg, FloatTensor q, FloatTensor k, FloatTensor v, int[] draw) {
        AttentionProblem p = AttentionProblem.of(q, k, v).withLogSumExp();
        new HyperAttention(cfg, pool).forward(p, SampleSource.replay(List.of(draw)), null);
        return p.output().toArray();
    }

    /** Mean over calls of exp(L̂_i − L_i) (all rows) and the relative error of the mean numerator estimate. */
    record Bias(double meanRatio, double standardError, double numeratorError) {}

    static Bias estimate(HyperConfig cfg, int calls) {
        Random r = new Random(43);
        int n = 512, d = 16;
        FloatTensor q = randn(r, 1, 1, n, d), k = randn(r, 1, 1, n, d), v = randn(r, 1, 1, n, d);
        AttentionProblem exact = HyperTesting.naive(q, k, v, false);
        float[] lExact = exact.logSumExp();
        float[] oExact = exact.output().toArray();
        HyperAttention hyper = new HyperAttention(cfg, pool);   // one W; call c draws fresh samples
        double sum = 0, sumSq = 0;
        double[] numerator = new double[n * d];
        for (int c = 0; c < calls; c++) {
            AttentionProblem p = HyperTesting.run(hyper, q, k, v, false);
            float[] o = p.output().toArray();
            double callMean = 0;
            for (int i = 0; i < n; i++) {
                double ratio = Math.exp(p.logSumExp()[i] - (double) lExact[i]);
                callMean += ratio / n;
                for (int j = 0; j < d; j++) {
                    numerator[i * d + j] += ratio * o[i * d + j] / calls;   // exp(L̂)·Ô / exp(L)
                }
            }
            sum += callMean;
            sumSq += callMean * callMean;
        }
        double mean = sum / calls;
        double se = Math.sqrt(Math.max(0, sumSq / calls - mean * mean) / calls);
        float[] num = new float[n * d];
        for (int i = 0; i < num.length; i++) {
            num[i] = (float) numerator[i];
        }
        return new Bias(mean, se, relErr(num, oExact));
    }

    @Test
    void sampledResidualIsUnbiased() {
        // n = 512, b = 64, m = 32: 1/8 of the samples land in a query's own block. With the mask, E[D̂_i] = D_i
        // exactly; counting them adds the own block's mass once more: ratio ≈ 1 + own/D ≈ 1.125 on random input.
        int calls = 1500;
        HyperConfig cfg = new HyperConfig(64, 32, 7, 64, 7, 0, HyperConfig.Compat.OFF);
        Bias masked = estimate(cfg, calls);
        Bias counted = estimate(cfg.withCompat(new HyperConfig.Compat(false, true, false, false)), calls);
        System.out.printf("unbiasedness: masked ratio %.5f ± %.5f, numerator err %.4f; counted ratio %.5f ± %.5f, "
                + "numerator err %.4f%n", masked.meanRatio(), masked.standardError(), masked.numeratorError(),
                counted.meanRatio(), counted.standardError(), counted.numeratorError());
        assertThat(Math.abs(masked.meanRatio() - 1)).isLessThan(4 * masked.standardError() + 1e-4);
        assertThat(counted.meanRatio() - 1).isGreaterThan(0.05);
        // the numerator's per-call noise is ≈ √(n/m) relative (near-uniform attention, §4), so the mean over the
        // calls has noise ≈ √(n/m / calls) ≈ 0.10: measured 0.094 unbiased against 0.50 with own-block samples
        double noise = Math.sqrt(512.0 / 32 / calls);
        assertThat(masked.numeratorError()).isLessThan(1.5 * noise);
        assertThat(counted.numeratorError()).isGreaterThan(3 * noise);
    }
}
