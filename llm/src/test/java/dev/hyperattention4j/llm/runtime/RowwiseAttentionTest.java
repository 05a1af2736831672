package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RowwiseAttentionTest {

    static FloatTensor random(Random r, int h, int n, int d) {
        float[] x = new float[h * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return FloatTensor.of(x, 1, h, n, d);
    }

    /**
     * Equals the float64 oracle to 1e-5 of the largest output (float32 softmax over a few hundred keys stays
     * near 1e-6, see docs/DESIGN.md §9.4), with GQA, causal (aligned to the end) or not, nq ≠ nk, head
     * dims
     * 8 / 16 / 32 / 12, lengths that are not multiples of the SIMD width; the log-sum-exp too.
     */
    @ParameterizedTest
    @CsvSource({"8,4,1,1,8,true", "8,4,70,70,16,true", "4,2,33,100,8,true", "2,2,47,47,32,false",
            "6,3,17,129,12,true", "4,1,300,300,16,true", "2,1,5,3,16,true"})
    void matchesNaive(int hq, int hkv, int nq, int nk, int d, boolean causal) {
        Random r = new Random(nq * 1000L + nk);
        FloatTensor q = random(r, hq, nq, d), k = random(r, hkv, nk, d), v = random(r, hkv, nk, d);
        AttentionProblem ref = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        new NaiveAttention().forward(ref);
        AttentionProblem got = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        try (WorkerPool pool = new WorkerPool(2)) {
            new RowwiseAttention(pool).forward(got);
        }
        float[] a = ref.output().toArray(), b = got.output().toArray();
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < a.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(a[i]));
            maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
        }
        assertThat(maxErr / maxRef).isLessThan(1e-5);
        for (int i = 0; i < ref.logSumExp().length; i++) {
            if (Float.isInfinite(ref.logSumExp()[i])) {
                assertThat(got.logSumExp()[i]).isEqualTo(Float.NEGATIVE_INFINITY);
                for (int c = 0; c < d; c++) {
                    assertThat(b[i * d + c]).isZero();
                }
            } else {
                assertThat(got.logSumExp()[i]).isCloseTo(ref.logSumExp()[i],
                        org.assertj.core.data.Offset.offset(1e-4f * Math.max(1f, Math.abs(ref.logSumExp()[i]))));
            }
        }
    }

    /** With a kernel for longer calls, calls above maxRows query rows go to it and the rest stay row-wise. */
    @org.junit.jupiter.api.Test
    void longCallsGoToTheOtherKernel() {
        int[] delegated = {0};
        dev.hyperattention4j.attention.Attention counting = new dev.hyperattention4j.attention.Attention() {
            @Override
            public void forward(AttentionProblem p) {
                delegated[0]++;
                new NaiveAttention().forward(p);
            }

            @Override
            public String name() {
                return "naive";
            }
        };
        Random r = new Random(5);
        try (WorkerPool pool = new WorkerPool(2)) {
            RowwiseAttention a = new RowwiseAttention(pool, 40, counting);
            assertThat(a.rowsFor(40)).isTrue();
            assertThat(a.rowsFor(41)).isFalse();
            assertThat(a.name()).isEqualTo("rowwise<=40,naive");
            a.forward(AttentionProblem.of(random(r, 2, 40, 16), random(r, 1, 40, 16), random(r, 1, 40, 16))
                    .withCausal(true));
            assertThat(delegated[0]).isZero();
            a.forward(AttentionProblem.of(random(r, 2, 41, 16), random(r, 1, 41, 16), random(r, 1, 41, 16))
                    .withCausal(true));
            assertThat(delegated[0]).isEqualTo(1);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RowwiseAttention(pool, 10, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRows");
        }
    }
}
