package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bad arguments fail fast with an IllegalArgumentException that names the argument and the expected shape. */
class AttentionValidationTest {
    private final Random r = new Random(5);
    private final FloatTensor q = TestTensors.gaussian(r, 1, 1, 4, 10, 16);
    private final FloatTensor k = TestTensors.gaussian(r, 1, 1, 2, 12, 16);
    private final FloatTensor v = TestTensors.gaussian(r, 1, 1, 2, 12, 16);
    private final FloatTensor out = FloatTensor.zeros(1, 4, 10, 16);

    private static void rejects(Runnable call, String... fragments) {
        assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }

    private AttentionProblem problem(FloatTensor q, FloatTensor k, FloatTensor v, FloatTensor o) {
        return new AttentionProblem(q, k, v, o, null, 0.25f, false, NonFinitePolicy.REJECT);
    }

    @Test
    void nullTensorsAreNamedWithTheirShape() {
        rejects(() -> problem(null, k, v, out), "query", "[B][Hq][nq][d]");
        rejects(() -> problem(q, null, v, out), "key", "[B][Hkv][nk][d]");
        rejects(() -> problem(q, k, null, out), "value", "[B][Hkv][nk][d]");
        rejects(() -> problem(q, k, v, null), "output", "[B][Hq][nq][d]");
        rejects(() -> AttentionProblem.of(null, k, v), "query");
    }

    @Test
    void mismatchedShapesNameBothTensors() {
        rejects(() -> problem(q, TestTensors.gaussian(r, 1, 1, 2, 12, 8), v, out), "key [1][2][12][8]", "head dim 16");
        rejects(() -> problem(q, k, TestTensors.gaussian(r, 1, 1, 2, 11, 16), out), "value [1][2][11][16]",
                "[1][2][12][16]");
        rejects(() -> problem(q, TestTensors.gaussian(r, 1, 2, 2, 12, 16), v, out), "batch sizes differ");
        rejects(() -> problem(q, k, v, FloatTensor.zeros(1, 4, 9, 16)), "output [1][4][9][16]", "[1][4][10][16]");
    }

    @Test
    void queryHeadsMustBeAMultipleOfKeyHeads() {
        FloatTensor k3 = TestTensors.gaussian(r, 1, 1, 3, 12, 16), v3 = TestTensors.gaussian(r, 1, 1, 3, 12, 16);
        rejects(() -> problem(q, k3, v3, out), "query heads 4", "key/value heads 3");
    }

    @Test
    void zeroOrNegativeLengthsAndBadViewsAreRejected() {
        rejects(() -> FloatTensor.zeros(1, 1, 0, 16), "[1][1][0][16]", "positive");
        rejects(() -> FloatTensor.zeros(1, -2, 4, 16), "[1][-2][4][16]");
        rejects(() -> FloatTensor.of(new float[10], 1, 1, 4, 0), "must be positive");
        rejects(() -> FloatTensor.of(new float[10], 1, 1, 4, 4), "holds 10");
    }

    @Test
    void logSumExpBufferAndScaleAreChecked() {
        rejects(() -> problem(q, k, v, out).withLogSumExp(new float[39]), "logSumExp has 39", "[B][Hq][nq]", "40");
        rejects(() -> problem(q, k, v, out).withScale(0f), "scale");
        rejects(() -> problem(q, k, v, out).withScale(Float.NaN), "scale");
        rejects(() -> problem(q, k, v, out).withNonFinite(null), "nonFinite");
    }

    @Test
    void nonFiniteInputsAreRejectedWithTheirIndexByDefault() {
        float[] data = q.toArray();
        data[(2 * 10 + 3) * 16 + 5] = Float.NaN;   // [0][2][3][5]
        FloatTensor bad = FloatTensor.of(data, 1, 4, 10, 16);
        for (Attention a : new Attention[] {new NaiveAttention(), new FlashAttention(new WorkerPool(1))}) {
            rejects(() -> a.forward(problem(bad, k, v, out)), "query", "NaN", "[0][2][3][5]", "PROPAGATE");
        }
        float[] kd = k.toArray();
        kd[7] = Float.POSITIVE_INFINITY;
        rejects(() -> new FlashAttention(new WorkerPool(1)).forward(problem(q, FloatTensor.of(kd, 1, 2, 12, 16), v, out)),
                "key", "Infinity", "[0][0][0][7]");
    }

    /**
     * With PROPAGATE, a NaN in a key row reaches (through IEEE arithmetic) every query row that sees that key, as in
     * PyTorch. Under a causal mask, rows in earlier 128-key tiles than the bad key stay finite.
     */
    @Test
    void propagatedNanReachesTheRowsThatSeeTheKey() {
        int n = 300;
        FloatTensor qq = TestTensors.gaussian(r, 1, 1, 1, n, 16);
        float[] kd = TestTensors.gaussian(r, 1, 1, 1, n, 16).toArray();
        kd[200 * 16 + 3] = Float.NaN;
        FloatTensor kk = FloatTensor.of(kd, 1, 1, n, 16), vv = TestTensors.gaussian(r, 1, 1, 1, n, 16);
        AttentionProblem p = AttentionProblem.of(qq, kk, vv).withCausal(true).withNonFinite(NonFinitePolicy.PROPAGATE);
        new FlashAttention(new WorkerPool(1)).forward(p);
        float[] o = p.output().toArray();
        assertThat(o[250 * 16]).isNaN();
        assertThat(o[299 * 16 + 15]).isNaN();
        for (int i = 0; i < 128 * 16; i++) {
            assertThat(o[i]).isFinite();
        }
    }
}
