package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlashEdgeCasesTest {

    /**
     * Logits scale·q·k up to about ±1e4: the running max keeps every exponent <= 0, so nothing overflows, and the
     * result still matches the oracle. The tolerance is relative to the logit range: float32 scores of magnitude
     * 1e4 carry absolute rounding of about 1e-3, which moves the softmax weights by that much.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void largeLogitsDoNotOverflow(boolean causal) {
        Random r = new Random(9);
        int n = 333, d = 64;
        FloatTensor q = TestTensors.gaussian(r, 55, 1, 1, n, d), k = TestTensors.gaussian(r, 55, 1, 1, n, d);
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, n, d);
        AttentionProblem[] solved = naiveAndFlash(q, k, v, causal, 2);
        AttentionProblem expected = solved[0], actual = solved[1];
        float maxLogit = 0;
        for (float l : expected.logSumExp()) {
            maxLogit = Math.max(maxLogit, Math.abs(l));
        }
        assertThat(maxLogit).as("the test really reaches large logits").isGreaterThan(1e4f);
        float[] o = actual.output().toArray();
        for (float x : o) {
            assertThat(x).isFinite();
        }
        assertThat(TestTensors.maxNormalisedError(expected.output().toArray(), o)).isLessThan(1e-2);
        assertThat(TestTensors.logSumExpError(expected.logSumExp(), actual.logSumExp())).isLessThan(1e-6);
    }

    /**
     * The lazy running max: a later key tile whose logits exceed the row's max by less than the headroom keeps the
     * max (p up to 2^8), one that exceeds it by more moves it and rescales. Logits grow along the sequence by
     * {@code growth} per key: 0.01 rises 1.8 (log2 units) per 128-key tile, below the headroom of 8; 0.06 rises 11 per
     * tile, above it, so every tile rescales. Both match the oracle (the logits stay below 60, so float32 rounding
     * of the scores stays near 1e-6).
     */
    @ParameterizedTest
    @ValueSource(floats = {0.01f, 0.06f})
    void growingLogitsAcrossTilesMatchTheOracle(float growth) {
        Random r = new Random(21);
        int n = 1000, d = 16;
        FloatTensor q = TestTensors.gaussian(r, 1, 1, 1, n, d), k = TestTensors.gaussian(r, 1, 1, 1, n, d);
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, n, d);
        float[] keys = k.toArray();
        float[] queries = q.toArray();
        for (int i = 0; i < n; i++) {
            queries[i * d] = 4f;                          // every query weighs key column 0
            keys[i * d] = growth * i;                     // logit = 4·growth·i/sqrt(d) + noise = growth·i + noise
        }
        q = FloatTensor.of(queries, 1, 1, n, d);
        k = FloatTensor.of(keys, 1, 1, n, d);
        for (boolean causal : new boolean[] {false, true}) {
            AttentionProblem[] solved = naiveAndFlash(q, k, v, causal, 1);
            AttentionProblem expected = solved[0], actual = solved[1];
            assertThat(TestTensors.maxNormalisedError(expected.output().toArray(), actual.output().toArray()))
                    .as("causal=%s", causal).isLessThan(1e-5);
            assertThat(TestTensors.logSumExpError(expected.logSumExp(), actual.logSumExp())).isLessThan(1e-6);
        }
    }

    /**
     * Rows whose logits are all far below zero, with a jump between key tiles larger than the float exponent range:
     * the first 128 keys sit near -150 (natural log units, about -216 in log2), later ones alternate between -20 and
     * -150 every 16 keys, so each vector lane holds both. The kernel's cheap per-lane maxima are only exact for
     * values >= 0 (here they come out near -216), so for these rows the softmax must fall back to the exact maximum;
     * trusting the cheap one would keep the old max and overflow p = 2^(s - m) to infinity.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void negativeLogitRowsWithAHugeJumpMatchTheOracle(boolean causal) {
        Random r = new Random(33);
        int n = 700, d = 16;
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, n, d);
        float[] queries = TestTensors.gaussian(r, 0.1f, 1, 1, n, d).toArray();
        float[] keys = TestTensors.gaussian(r, 0.1f, 1, 1, n, d).toArray();
        for (int i = 0; i < n; i++) {
            queries[i * d] = 4f;                           // logit = 4·key[0]/sqrt(16) + noise = key[0] + noise
            keys[i * d] = i >= 128 && (i / 16) % 2 == 0 ? -20f : -150f;   // later tiles mix both in every lane
        }
        FloatTensor q = FloatTensor.of(queries, 1, 1, n, d), k = FloatTensor.of(keys, 1, 1, n, d);
        AttentionProblem[] solved = naiveAndFlash(q, k, v, causal, 1);
        AttentionProblem expected = solved[0], actual = solved[1];
        assertThat(expected.logSumExp()[n - 1]).as("the test really has negative logits").isLessThan(-10f);
        assertThat(TestTensors.maxNormalisedError(expected.output().toArray(), actual.output().toArray())).isLessThan(1e-4);
        assertThat(TestTensors.logSumExpError(expected.logSumExp(), actual.logSumExp())).isLessThan(1e-6);
    }

    /**
     * Causal with nq > nk aligns the mask to the end, so the first nq - nk query rows see no key: their output is
     * defined as zero and their log-sum-exp as -infinity (the neutral element of the log-sum-exp merge).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 130, 300})
    void fullyMaskedRowsAreZeroWithMinusInfinityLse(int nk) {
        Random r = new Random(nk);
        int nq = 301, d = 32;
        FloatTensor q = TestTensors.gaussian(r, 1, 1, 2, nq, d), k = TestTensors.gaussian(r, 1, 1, 1, nk, d);
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, nk, d);
        AttentionProblem[] solved = naiveAndFlash(q, k, v, true, 1);
        AttentionProblem expected = solved[0], actual = solved[1];
        float[] o = actual.output().toArray();
        int masked = nq - nk;
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < nq; i++) {
                float lse = actual.logSumExp()[actual.lseIndex(0, h, i)];
                if (i < masked) {
                    assertThat(lse).isEqualTo(Float.NEGATIVE_INFINITY);
                    for (int c = 0; c < d; c++) {
                        assertThat(o[(h * nq + i) * d + c]).isZero();
                    }
                } else {
                    assertThat(lse).isFinite();
                }
            }
        }
        assertThat(TestTensors.maxNormalisedError(expected.output().toArray(), o)).isLessThan(1e-5);
        assertThat(TestTensors.logSumExpError(expected.logSumExp(), actual.logSumExp())).isLessThan(1e-6);
    }

    /** The problem solved with its log-sum-exp by the float64 oracle and by the flash kernel on {@code threads}. */
    private static AttentionProblem[] naiveAndFlash(FloatTensor q, FloatTensor k, FloatTensor v, boolean causal,
                                                    int threads) {
        AttentionProblem expected = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        AttentionProblem actual = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        new NaiveAttention().forward(expected);
        try (WorkerPool pool = new WorkerPool(threads)) {
            new FlashAttention(pool).forward(actual);
        }
        return new AttentionProblem[] {expected, actual};
    }
}
