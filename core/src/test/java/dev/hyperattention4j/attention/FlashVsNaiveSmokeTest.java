package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlashVsNaiveSmokeTest {

    static FloatTensor random(Random r, int b, int h, int n, int d) {
        float[] x = new float[b * h * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return FloatTensor.of(x, b, h, n, d);
    }

    @Test
    void flashMatchesNaiveOnGqaCausalCross() {
        Random r = new Random(1);
        FloatTensor q = random(r, 2, 4, 300, 32), k = random(r, 2, 2, 333, 32), v = random(r, 2, 2, 333, 32);
        for (boolean causal : new boolean[] {false, true}) {
            AttentionProblem a = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
            AttentionProblem b = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
            new NaiveAttention().forward(a);
            try (WorkerPool pool = new WorkerPool(2)) {
                new FlashAttention(pool).forward(b);
            }
            float[] x = a.output().toArray(), y = b.output().toArray();
            double num = 0, den = 0;
            for (int i = 0; i < x.length; i++) {
                num += (x[i] - y[i]) * (double) (x[i] - y[i]);
                den += x[i] * (double) x[i];
            }
            assertThat(Math.sqrt(num / den)).isLessThan(1e-5);
            for (int i = 0; i < a.logSumExp().length; i++) {
                assertThat(b.logSumExp()[i]).isCloseTo(a.logSumExp()[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }
}
