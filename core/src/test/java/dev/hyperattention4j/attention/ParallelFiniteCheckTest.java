package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AttentionProblem#checkFinite(WorkerPool)} (HyperAttention's input check, split over the pool) rejects what
 * the serial {@link AttentionProblem#checkFinite()} rejects, with the same message, for contiguous and strided
 * tensors, wherever the bad element falls among the slices.
 */
class ParallelFiniteCheckTest {
    private final Random r = new Random(3);
    private final WorkerPool pool = new WorkerPool(2);

    private static String message(Runnable call) {
        try {
            call.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    @Test
    void sameVerdictAndMessageAsTheSerialScan() {
        final int b = 2, h = 3, n = 50, d = 24;
        FloatTensor q = TestTensors.gaussian(r, 1, b, h, n, d), k = TestTensors.gaussian(r, 1, b, h, n, d);
        FloatTensor v = TestTensors.gaussian(r, 1, b, h, n, d);
        assertThat(message(() -> AttentionProblem.of(q, k, v).checkFinite(pool))).isNull();
        int total = b * h * n * d;
        for (int at : new int[] {0, 1, total / 7, total / 2 + 5, total - 1}) {
            for (int which = 0; which < 3; which++) {
                float[][] data = {q.toArray(), k.toArray(), v.toArray()};
                data[which][at] = which == 1 ? Float.NEGATIVE_INFINITY : Float.NaN;
                AttentionProblem p = AttentionProblem.of(FloatTensor.of(data[0], b, h, n, d),
                        FloatTensor.of(data[1], b, h, n, d), FloatTensor.of(data[2], b, h, n, d));
                String serial = message(p::checkFinite), parallel = message(() -> p.checkFinite(pool));
                assertThat(serial).isNotNull().contains(new String[] {"query", "key", "value"}[which]);
                assertThat(parallel).isEqualTo(serial);
                assertThat(message(() -> p.withNonFinite(NonFinitePolicy.PROPAGATE).checkFinite(pool))).isNull();
            }
        }
    }

    @Test
    void stridedTensorsAreScannedRowByRow() {
        // a [1][1][40][8] view of every other row of a [80][8] array: the skipped rows hold NaN and must not count
        float[] data = new float[80 * 8];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i / 8) % 2 == 0 ? (float) r.nextGaussian() : Float.NaN;
        }
        FloatTensor view = FloatTensor.strided(data, 0, new int[] {1, 1, 40, 8}, new long[] {640, 640, 16, 1});
        for (int parts = 1; parts <= 7; parts++) {
            for (int part = 0; part < parts; part++) {
                assertThat(view.allFinite(part, parts)).isTrue();
            }
        }
        data[38 * 16 + 3] = Float.POSITIVE_INFINITY;                        // row 38 of the view
        assertThat(view.allFinite(6, 7)).isFalse();
        assertThat(view.allFinite(0, 7)).isTrue();
        FloatTensor k = TestTensors.gaussian(r, 1, 1, 1, 40, 8);
        assertThat(message(() -> AttentionProblem.of(view, k, k).checkFinite(pool)))
                .contains("query", "[0][0][38][3]");
        assertThatThrownBy(() -> view.allFinite(3, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("part 3 of 3");
    }
}
