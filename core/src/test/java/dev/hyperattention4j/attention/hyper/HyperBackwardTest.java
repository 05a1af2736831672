package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.testing.TestTensors.gaussian;
import static dev.hyperattention4j.testing.TestTensors.maxAbs;
import static dev.hyperattention4j.testing.TestTensors.maxRelativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.reference.NaiveBackward;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import dev.hyperattention4j.testing.TestPools;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HyperBackwardTest {
    static final WorkerPool pool = TestPools.twoThreads();

    /** Small blocks and samples, minSeqLen 16: the approximation, the recursion and its exact passes all run. */
    static HyperConfig small() {
        return new HyperConfig(8, 8, 3, 16, 77, 0, HyperConfig.Compat.OFF);
    }

    static double loss(AttentionProblem p, FloatTensor dO, float[] dL) {
        float[] o = p.output().toArray(), g = dO.toArray();
        double sum = 0;
        for (int i = 0; i < o.length; i++) {
            sum += (double) o[i] * g[i];
        }
        for (int i = 0; i < dL.length; i++) {
            sum += (double) dL[i] * p.logSumExp()[i];
        }
        return sum;
    }

    /**
     * The gradient of HyperAttention's own estimator (sort keys and samples fixed) against central differences of its
     * fp32 forward. Step 5e-3 balances fp32 rounding of the loss (~1e-6 / step) against truncation (~step²); the
     * tolerance, 1% of the largest gradient entry, is far below the error of any wrong term (a wrong sample weight,
     * a missing level or a dropped lse term changes gradients by tens of percent).
     */
    @ParameterizedTest(name = "Hq={0} Hkv={1} nq={2} nk={3} causal={4}")
    @CsvSource({"2, 1, 40, 37, false", "1, 1, 41, 41, true", "2, 1, 48, 48, true"})
    void matchesFiniteDifferencesOfItsOwnForward(int hq, int hkv, int nq, int nk, boolean causal) {
        Random r = new Random(nq * 31L + hq);
        int d = 8;
        FloatTensor q = gaussian(r, 1, 1, hq, nq, d), k = gaussian(r, 1, 1, hkv, nk, d), v = gaussian(r, 1, 1, hkv, nk, d);
        FloatTensor dO = gaussian(r, 1, 1, hq, nq, d);
        float[] dL = new float[hq * nq];
        for (int i = 0; i < dL.length; i++) {
            dL[i] = (float) r.nextGaussian();
        }
        TrainableHyperAttention attention = new TrainableHyperAttention(small(), pool);
        TrainableHyperAttention.Context ctx = (TrainableHyperAttention.Context) attention.forward(
                AttentionProblem.of(q, k, v).withCausal(causal), true);
        assertThat(ctx.exact()).as("the approximate path must run").isFalse();
        assertThat(ctx.saved().schedule().draws()).as("the residual part must run").isNotEmpty();
        Gradients g = attention.backward(ctx, dO, dL);

        FloatTensor[] inputs = {q, k, v};
        FloatTensor[] analytic = {g.query(), g.key(), g.value()};
        float step = 5e-3f;
        for (int which = 0; which < 3; which++) {
            FloatTensor x = inputs[which];
            double scale = maxAbs(analytic[which]);
            assertThat(scale).isGreaterThan(1e-3);
            for (int h = 0; h < x.heads(); h++) {
                for (int i = 0; i < x.length(); i++) {
                    for (int c = 0; c < d; c++) {
                        float keep = x.get(0, h, i, c);
                        x.set(0, h, i, c, keep + step);
                        double up = replayLoss(attention, ctx, q, k, v, causal, dO, dL);
                        x.set(0, h, i, c, keep - step);
                        double down = replayLoss(attention, ctx, q, k, v, causal, dO, dL);
                        x.set(0, h, i, c, keep);
                        double numeric = (up - down) / (2 * step);
                        assertThat((double) analytic[which].get(0, h, i, c))
                                .as("input %d [%d][%d][%d]", which, h, i, c)
                                .isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-2 * scale));
                    }
                }
            }
        }
    }

    private static double replayLoss(TrainableHyperAttention attention, TrainableHyperAttention.Context ctx,
                                     FloatTensor q, FloatTensor k, FloatTensor v, boolean causal, FloatTensor dO,
                                     float[] dL) {
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        attention.replayForward(ctx, p);
        return loss(p, dO, dL);
    }

    /**
     * When one block holds a whole (sub)sequence and m = 0, every part is exact and HyperAttention equals exact
     * attention, through hashing, sorting, the recursion and its merges: its gradients must equal the exact
     * oracle's (1e-4, as for the exact backward).
     */
    @ParameterizedTest(name = "Hq={0} Hkv={1} n={2} causal={3}")
    @CsvSource({"2, 1, 300, false", "4, 2, 300, true", "1, 1, 257, true"})
    void equalsExactBackwardWhenTheForwardIsExact(int hq, int hkv, int n, boolean causal) {
        Random r = new Random(n + hq);
        int d = 32;
        FloatTensor q = gaussian(r, 1, 1, hq, n, d), k = gaussian(r, 1, 1, hkv, n, d), v = gaussian(r, 1, 1, hkv, n, d);
        FloatTensor dO = gaussian(r, 1, 1, hq, n, d);
        HyperConfig cfg = new HyperConfig(512, 0, 4, 64, 5, 0, HyperConfig.Compat.OFF);
        TrainableHyperAttention attention = new TrainableHyperAttention(cfg, pool);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
        TrainableHyperAttention.Context ctx = (TrainableHyperAttention.Context) attention.forward(p, true);
        assertThat(ctx.exact()).as("the HyperAttention path must run").isFalse();
        Gradients actual = attention.backward(ctx, dO);
        Gradients expected = NaiveBackward.gradients(p, dO, null);
        assertThat(maxRelativeError(expected.query(), actual.query())).as("dQ").isLessThanOrEqualTo(1e-4);
        assertThat(maxRelativeError(expected.key(), actual.key())).as("dK").isLessThanOrEqualTo(1e-4);
        assertThat(maxRelativeError(expected.value(), actual.value())).as("dV").isLessThanOrEqualTo(1e-4);
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalGradients() {
        Random r = new Random(12);
        int n = 600, d = 16;
        FloatTensor q = gaussian(r, 1, 1, 2, n, d), k = gaussian(r, 1, 1, 1, n, d), v = gaussian(r, 1, 1, 1, n, d);
        FloatTensor dO = gaussian(r, 1, 1, 2, n, d);
        HyperConfig cfg = new HyperConfig(32, 32, 4, 128, 9, 0, HyperConfig.Compat.OFF);
        for (boolean causal : new boolean[] {false, true}) {
            TrainableHyperAttention two = new TrainableHyperAttention(cfg, pool);
            BackwardContext ctx = two.forward(AttentionProblem.of(q, k, v).withCausal(causal), true);
            Gradients a;
            try (WorkerPool single = new WorkerPool(1)) {
                a = new TrainableHyperAttention(cfg, single).backward(ctx, dO);
            }
            Gradients b = two.backward(ctx, dO);
            TestTensors.assertSameBits(a, b);
            assertThat(maxAbs(a.key())).isGreaterThan(0);
        }
    }

    /**
     * The dK/dV scatter runs in parallel over stripes of key rows: 1 thread (automatic stripes: 1 here) and 2 threads
     * with 2, 3 or 7 stripes, and the automatic 4 stripes at n = 2048, must give bit-identical gradients (GQA, so
     * several query heads add into each KV row, causal and not).
     */
    @Test
    void parallelScatterIsBitIdenticalToOneThread() {
        Random r = new Random(31);
        int n = 2048, d = 16;
        FloatTensor q = gaussian(r, 1, 1, 4, n, d), k = gaussian(r, 1, 1, 2, n, d), v = gaussian(r, 1, 1, 2, n, d);
        FloatTensor dO = gaussian(r, 1, 1, 4, n, d);
        HyperConfig cfg = new HyperConfig(64, 64, 4, 256, 3, 0, HyperConfig.Compat.OFF);
        for (boolean causal : new boolean[] {false, true}) {
            TrainableHyperAttention two = new TrainableHyperAttention(cfg, pool);
            BackwardContext ctx = two.forward(AttentionProblem.of(q, k, v).withCausal(causal), true);
            Gradients one;
            try (WorkerPool single = new WorkerPool(1)) {
                HyperBackward.scatterStripes = 1;
                one = new TrainableHyperAttention(cfg, single).backward(ctx, dO);
            } finally {
                HyperBackward.scatterStripes = 0;
            }
            for (int stripes : new int[] {0, 2, 3, 7}) {
                Gradients g;
                try {
                    HyperBackward.scatterStripes = stripes;
                    g = two.backward(ctx, dO);
                } finally {
                    HyperBackward.scatterStripes = 0;
                }
                assertThat(g.query().toArray()).as("dQ, %d stripes", stripes).isEqualTo(one.query().toArray());
                assertThat(g.key().toArray()).as("dK, %d stripes", stripes).isEqualTo(one.key().toArray());
                assertThat(g.value().toArray()).as("dV, %d stripes", stripes).isEqualTo(one.value().toArray());
            }
            assertThat(maxAbs(one.key())).isGreaterThan(0);
        }
    }

    @Test
    void rejectsCompatibilityMergesThatHaveNoGradient() {
        Random r = new Random(1);
        FloatTensor q = gaussian(r, 1, 1, 1, 40, 8);
        HyperConfig cfg = new HyperConfig(8, 8, 3, 16, 1, 0, HyperConfig.Compat.REFERENCE_VECTORS);
        TrainableHyperAttention attention = new TrainableHyperAttention(cfg, pool);
        assertThatThrownBy(() -> attention.forward(AttentionProblem.of(q, q, q), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epsMerge");
    }
}
