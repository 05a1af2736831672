package dev.hyperattention4j.attention;

import static dev.hyperattention4j.testing.TestTensors.gaussian;
import static dev.hyperattention4j.testing.TestTensors.maxAbs;
import static dev.hyperattention4j.testing.TestTensors.maxRelativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.reference.NaiveBackward;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import dev.hyperattention4j.testing.TestPools;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlashBackwardTest {
    static final WorkerPool pool = TestPools.twoThreads();

    /**
     * Tiled fp32 backward against the double-precision oracle. 1e-4 (max error over max entry) leaves two orders of
     * magnitude over fp32 rounding of sums of a few hundred terms; a wrong mask, a missed tile, a missing GQA head
     * or a wrong Δ gives errors of order 1.
     */
    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} nq={3} nk={4} d={5} causal={6} dL={7}")
    @CsvSource({
            "1, 1, 1,   1,   1, 16, false, false",
            "1, 1, 1,  64,  64, 64, true,  false",
            "1, 2, 1, 200, 200, 64, true,  false",
            "2, 4, 2, 131, 257, 32, false, false",
            "2, 4, 2, 131, 257, 32, true,  true",
            "1, 3, 3, 257, 130, 40, true,  false",
            "1, 3, 1, 257, 130, 40, false, true",
            "1, 2, 2,  70,  70, 80, true,  true",
            "1, 1, 1,  17, 300,  8, true,  false",
            "1, 2, 1,  96,  33, 24, true,  false",
            "1, 2, 1, 8250, 70, 16, false, true",    // more than one block of dQ partials (8192 rows)
            "1, 1, 1, 8250, 8250, 8, true, false",
            "1, 4, 2, 1100, 1100, 64, true, false",  // the long-context model's heads, several key tiles
    })
    void matchesDoublePrecisionOracle(int b, int hq, int hkv, int nq, int nk, int d, boolean causal, boolean withLseGrad) {
        Random r = new Random(31L * nq + nk + d);
        FloatTensor q = gaussian(r, 1, b, hq, nq, d), k = gaussian(r, 1, b, hkv, nk, d), v = gaussian(r, 1, b, hkv, nk, d);
        FloatTensor dO = gaussian(r, 1, b, hq, nq, d);
        float[] dL = null;
        if (withLseGrad) {
            dL = new float[b * hq * nq];
            for (int i = 0; i < dL.length; i++) {
                dL[i] = (float) r.nextGaussian();
            }
        }
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
        TrainableAttention attention = new TrainableFlashAttention(pool);
        BackwardContext ctx = attention.forward(p, true);
        Gradients actual = attention.backward(ctx, dO, dL);
        Gradients expected = NaiveBackward.gradients(p, dO, dL);

        assertThat(maxRelativeError(expected.query(), actual.query())).as("dQ").isLessThanOrEqualTo(1e-4);
        assertThat(maxRelativeError(expected.key(), actual.key())).as("dK").isLessThanOrEqualTo(1e-4);
        assertThat(maxRelativeError(expected.value(), actual.value())).as("dV").isLessThanOrEqualTo(1e-4);
        if (nk > 1) {   // with a single key the softmax is constant and dK is truly zero
            assertThat(maxAbs(expected.key())).as("the case must exercise non-zero key gradients").isGreaterThan(1e-3);
        }
    }

    @Test
    void gqaKeyValueGradientsAreSumsOverTheirQueryHeads() {
        Random r = new Random(5);
        int hq = 4, hkv = 2, g = hq / hkv, n = 150, d = 32;
        FloatTensor q = gaussian(r, 1, 1, hq, n, d), k = gaussian(r, 1, 1, hkv, n, d), v = gaussian(r, 1, 1, hkv, n, d);
        FloatTensor dO = gaussian(r, 1, 1, hq, n, d);
        TrainableAttention attention = new TrainableFlashAttention(pool);
        Gradients gqa = attention.backward(attention.forward(AttentionProblem.of(q, k, v).withCausal(true), true), dO);

        // The same call with K and V copied to every query head (multi-head attention) ...
        FloatTensor kx = FloatTensor.zeros(1, hq, n, d), vx = FloatTensor.zeros(1, hq, n, d);
        float[] row = new float[d];
        for (int h = 0; h < hq; h++) {
            for (int j = 0; j < n; j++) {
                k.readRow(0, h / g, j, row, 0);
                kx.writeRow(0, h, j, row, 0);
                v.readRow(0, h / g, j, row, 0);
                vx.writeRow(0, h, j, row, 0);
            }
        }
        Gradients mha = attention.backward(attention.forward(AttentionProblem.of(q, kx, vx).withCausal(true), true), dO);
        // ... gives the same dQ, and per-head dK, dV whose sums over each group are the GQA gradients.
        assertThat(maxRelativeError(mha.query(), gqa.query())).isLessThanOrEqualTo(1e-6);
        FloatTensor dkSum = FloatTensor.zeros(1, hkv, n, d), dvSum = FloatTensor.zeros(1, hkv, n, d);
        for (int kvh = 0; kvh < hkv; kvh++) {
            for (int j = 0; j < n; j++) {
                for (int c = 0; c < d; c++) {
                    float sk = 0, sv = 0;
                    for (int h = kvh * g; h < (kvh + 1) * g; h++) {
                        sk += mha.key().get(0, h, j, c);
                        sv += mha.value().get(0, h, j, c);
                    }
                    dkSum.set(0, kvh, j, c, sk);
                    dvSum.set(0, kvh, j, c, sv);
                }
            }
        }
        assertThat(maxRelativeError(dkSum, gqa.key())).isLessThanOrEqualTo(1e-5);
        assertThat(maxRelativeError(dvSum, gqa.value())).isLessThanOrEqualTo(1e-5);
        // and a single head's share is far from the sum: the test would notice a dropped head
        FloatTensor firstHeadOnly = FloatTensor.zeros(1, hkv, n, d);
        for (int kvh = 0; kvh < hkv; kvh++) {
            for (int j = 0; j < n; j++) {
                mha.key().readRow(0, kvh * g, j, row, 0);
                firstHeadOnly.writeRow(0, kvh, j, row, 0);
            }
        }
        assertThat(maxRelativeError(dkSum, firstHeadOnly)).isGreaterThan(0.1);
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalGradients() {
        Random r = new Random(9);
        FloatTensor q = gaussian(r, 1, 2, 4, 300, 48), k = gaussian(r, 1, 2, 2, 280, 48), v = gaussian(r, 1, 2, 2, 280, 48);
        FloatTensor dO = gaussian(r, 1, 2, 4, 300, 48);
        for (boolean causal : new boolean[] {false, true}) {
            // one forward pass, so that only the backward's thread count differs
            BackwardContext ctx = new TrainableFlashAttention(pool).forward(
                    AttentionProblem.of(q, k, v).withCausal(causal), true);
            Gradients one;
            try (WorkerPool single = new WorkerPool(1)) {
                one = new TrainableFlashAttention(single).backward(ctx, dO);
            }
            Gradients two = new TrainableFlashAttention(pool).backward(ctx, dO);
            TestTensors.assertSameBits(one, two);
            assertThat(maxAbs(one.query())).isGreaterThan(0);
        }
    }

    @Test
    void rowsThatSeeNoKeyGetZeroGradientAndNoNaN() {
        // causal, nq > nk: query i sees key j iff j <= i - (nq - nk); the first 50 rows see nothing
        Random r = new Random(3);
        int nq = 150, nk = 100, d = 16;
        FloatTensor q = gaussian(r, 1, 1, 1, nq, d), k = gaussian(r, 1, 1, 1, nk, d), v = gaussian(r, 1, 1, 1, nk, d);
        FloatTensor dO = gaussian(r, 1, 1, 1, nq, d);
        TrainableAttention a = new TrainableFlashAttention(pool);
        BackwardContext ctx = a.forward(AttentionProblem.of(q, k, v).withCausal(true), true);
        assertThat(ctx.problem().logSumExp()[0]).isEqualTo(Float.NEGATIVE_INFINITY);
        Gradients g = a.backward(ctx, dO);
        for (int i = 0; i < nq; i++) {
            for (int c = 0; c < d; c++) {
                float x = g.query().get(0, 0, i, c);
                assertThat(Float.isFinite(x)).isTrue();
                if (i < nq - nk) {
                    assertThat(x).isZero();
                }
            }
        }
        assertThat(maxAbs(g.key())).isFinite().isGreaterThan(0);
        assertThat(maxAbs(g.value())).isFinite().isGreaterThan(0);
    }

    @Test
    void rejectsMissingLogSumExpAndWrongGradientShape() {
        Random r = new Random(4);
        FloatTensor q = gaussian(r, 1, 1, 1, 8, 16);
        AttentionProblem noLse = AttentionProblem.of(q, q, q);
        new FlashAttention(pool).forward(noLse);
        FlashBackward backward = new FlashBackward(pool);
        assertThatThrownBy(() -> backward.backward(noLse, q, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("log-sum-exp");
        AttentionProblem p = noLse.withLogSumExp();
        new FlashAttention(pool).forward(p);
        assertThatThrownBy(() -> backward.backward(p, gaussian(r, 1, 1, 1, 9, 16), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1][1][8][16]");
        assertThatThrownBy(() -> new TrainableFlashAttention(pool).backward(() -> p, q))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
