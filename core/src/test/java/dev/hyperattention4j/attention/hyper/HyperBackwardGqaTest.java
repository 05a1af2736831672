package dev.hyperattention4j.attention.hyper;

import static dev.hyperattention4j.testing.TestTensors.gaussian;
import static dev.hyperattention4j.testing.TestTensors.maxAbs;
import static dev.hyperattention4j.testing.TestTensors.maxRelativeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestPools;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HyperAttention backward with grouped-query attention (issue #5): each query head is run again as its own
 * one-head problem (its KV head's K and V, the same sort keys and the slices of the same draws), and the GQA call's
 * dQ of a head must equal that problem's dQ, while dK and dV of a shared KV head must equal the sum over its query
 * heads. A GQA backward that kept only one query head's contribution, or mixed up heads, fails this.
 */
class HyperBackwardGqaTest {
    static final WorkerPool pool = TestPools.twoThreads();

    /** b = 16, m = 16, minSeqLen 64; n = 300 gives causal levels of 150, 75 and 38 (< 64: an exact pass). */
    static final HyperConfig CFG = new HyperConfig(16, 16, 3, 64, 21, 0, HyperConfig.Compat.OFF);

    static FloatTensor head(FloatTensor x, int b, int h) {
        int n = x.length(), d = x.dim();
        FloatTensor out = FloatTensor.zeros(1, 1, n, d);
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            x.readRow(b, h, i, row, 0);
            out.writeRow(0, 0, i, row, 0);
        }
        return out;
    }

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} causal={3}")
    @CsvSource({"1, 2, 1, false", "1, 2, 1, true", "1, 4, 1, false", "1, 4, 1, true", "2, 8, 2, false",
            "2, 8, 2, true", "1, 4, 2, true"})
    void sharedKvHeadGradientsAreSumsOverTheirQueryHeads(int batch, int hq, int hkv, boolean causal) {
        int n = 300, d = 16, group = hq / hkv, m = CFG.sampleSize();
        Random r = new Random(hq * 100L + hkv * 10L + batch + (causal ? 7 : 0));
        FloatTensor q = gaussian(r, 1, batch, hq, n, d), k = gaussian(r, 1, batch, hkv, n, d);
        FloatTensor v = gaussian(r, 1, batch, hkv, n, d), dO = gaussian(r, 1, batch, hq, n, d);
        float[] dL = new float[batch * hq * n];
        for (int i = 0; i < dL.length; i++) {
            dL[i] = (float) r.nextGaussian();
        }
        TrainableHyperAttention attention = new TrainableHyperAttention(CFG, pool);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
        TrainableHyperAttention.Context ctx = (TrainableHyperAttention.Context) attention.forward(p, true);
        assertThat(ctx.exact()).isFalse();
        assertThat(ctx.saved().schedule().draws()).as("the residual part must run").isNotEmpty();
        Gradients gqa = attention.backward(ctx, dO, dL);
        AttentionProblem solved = ctx.problem();

        FloatTensor dq = FloatTensor.zeros(batch, hq, n, d);
        double[] dk = new double[batch * hkv * n * d], dv = new double[dk.length];
        HyperSchedule saved = ctx.saved().schedule();
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < hq; h++) {
                int kvh = h / group;
                int[] qKeys = Arrays.copyOfRange(saved.queryKeys(), (b * hq + h) * n, (b * hq + h + 1) * n);
                int[] kKeys = Arrays.copyOfRange(saved.keyKeys(), (b * hkv + kvh) * n, (b * hkv + kvh + 1) * n);
                // a draw is [B][Hq·2^level][m] with call-head j = head j >> level: head h owns 2^level·m indices
                List<int[]> draws = new ArrayList<>();
                for (int[] draw : saved.draws()) {
                    int callHeads = draw.length / (batch * m), perHead = callHeads / hq;
                    int from = (b * callHeads + h * perHead) * m;
                    draws.add(Arrays.copyOfRange(draw, from, from + perHead * m));
                }
                AttentionProblem one = AttentionProblem.of(head(q, b, h), head(k, b, kvh), head(v, b, kvh))
                        .withCausal(causal).withLogSumExp();
                new HyperAttention(CFG, pool).forward(one, SampleSource.replay(draws), null,
                        new HyperAttention.SortKeys(qKeys, kKeys));
                assertThat(one.output().toArray()).as("forward of head %d", h)
                        .containsExactly(head(solved.output(), b, h).toArray());
                float[] dLh = Arrays.copyOfRange(dL, (b * hq + h) * n, (b * hq + h + 1) * n);
                Gradients g = HyperBackward.run(CFG, pool, one, head(dO, b, h), dLh,
                        new HyperBackward.Saved(HyperSchedule.plan(one, CFG, qKeys, kKeys, saved.keyCount(),
                                SampleSource.replay(draws)), ExactFallback.NONE));
                float[] row = new float[d];
                for (int i = 0; i < n; i++) {
                    g.query().readRow(0, 0, i, row, 0);
                    dq.writeRow(b, h, i, row, 0);
                    for (int c = 0; c < d; c++) {
                        int at = ((b * hkv + kvh) * n + i) * d + c;
                        dk[at] += g.key().get(0, 0, i, c);
                        dv[at] += g.value().get(0, 0, i, c);
                    }
                }
            }
        }
        assertThat(maxRelativeError(dq, gqa.query())).as("dQ per head").isLessThanOrEqualTo(1e-6);
        assertThat(maxRelativeError(tensor(dk, batch, hkv, n, d), gqa.key())).as("dK").isLessThanOrEqualTo(1e-5);
        assertThat(maxRelativeError(tensor(dv, batch, hkv, n, d), gqa.value())).as("dV").isLessThanOrEqualTo(1e-5);
        assertThat(maxAbs(gqa.key())).isGreaterThan(1e-3);
    }

    static FloatTensor tensor(double[] x, int b, int h, int n, int d) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return FloatTensor.of(f, b, h, n, d);
    }
}
