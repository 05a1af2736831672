package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FlashAttention checks {@link NonFinitePolicy#REJECT} on the tiles its workers pack (not in a separate pass): a bad
 * element anywhere (a later key tile, a later query tile, a second KV head, a value column past the first block) is
 * still found and named, on 1 and 2 threads, and stale data left in reused scratch never triggers it.
 */
class FlashFiniteCheckTest {
    private final Random r = new Random(11);

    private static void rejects(Runnable call, String... fragments) {
        assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }

    private static FloatTensor with(FloatTensor t, int index, float bad) {
        float[] x = t.toArray();
        x[index] = bad;
        return FloatTensor.of(x, t.batch(), t.heads(), t.length(), t.dim());
    }

    @Test
    void badElementsInLaterTilesAndHeadsAreNamed() {
        final int n = 700, d = 80;   // 6 key tiles, 3 query tiles of 264 rows, 2 query column blocks
        FloatTensor q = TestTensors.gaussian(r, 1, 1, 4, n, d), k = TestTensors.gaussian(r, 1, 1, 2, n, d);
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 2, n, d);
        for (int threads : new int[] {1, 2}) {
            FlashAttention flash = new FlashAttention(new WorkerPool(threads));
            // value [0][1][650][70]: second KV head, last key tile, second value column block
            rejects(() -> flash.forward(AttentionProblem.of(q, k, with(v, (n + 650) * d + 70, Float.NaN))),
                    "value", "NaN", "[0][1][650][70]");
            rejects(() -> flash.forward(AttentionProblem.of(q, with(k, 300 * d + 79, Float.NEGATIVE_INFINITY), v)),
                    "key", "-Infinity", "[0][0][300][79]");
            // query [0][3][600][75]: last query head, third query tile, second column block
            rejects(() -> flash.forward(AttentionProblem.of(with(q, (3 * n + 600) * d + 75, Float.POSITIVE_INFINITY), k, v)),
                    "query", "Infinity", "[0][3][600][75]");
            // causal: the bad query row is in the first tile, which sees only the first key tile
            rejects(() -> flash.forward(AttentionProblem.of(with(q, 5 * d, Float.NaN), k, v).withCausal(true)),
                    "query", "[0][0][5][0]");
            // and the same pool and scratch still give the oracle's answer afterwards
            AttentionProblem good = AttentionProblem.of(q, k, v);
            AttentionProblem oracle = AttentionProblem.of(q, k, v);
            flash.forward(good);
            new NaiveAttention().forward(oracle);
            float[] a = good.output().toArray(), b = oracle.output().toArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    @Test
    void propagateSkipsTheCheck() {
        FloatTensor q = TestTensors.gaussian(r, 1, 1, 1, 300, 16), k = TestTensors.gaussian(r, 1, 1, 1, 300, 16);
        FloatTensor v = with(TestTensors.gaussian(r, 1, 1, 1, 300, 16), 17, Float.NaN);
        AttentionProblem p = AttentionProblem.of(q, k, v).withNonFinite(NonFinitePolicy.PROPAGATE);
        new FlashAttention(new WorkerPool(2)).forward(p);
        assertThat(p.output().toArray()[1]).isNaN();     // value [0][0][1][1] is NaN: so is column 1 of every row
    }

    @Test
    void scaledQueriesThatOverflowAreReportedAsSuch() {
        float[] big = new float[2 * 8];
        java.util.Arrays.fill(big, 3e38f);
        FloatTensor q = FloatTensor.of(big, 1, 1, 2, 8), k = TestTensors.gaussian(r, 1, 1, 1, 2, 8);
        rejects(() -> new FlashAttention(new WorkerPool(1)).forward(AttentionProblem.of(q, k, k).withScale(4f)),
                "overflows", "scale 4.0");
    }

    @Test
    void packedTileAndQueryChecksSeeOnlyTheCurrentData() {
        final int d = 80;
        FlashKernel kernel = new FlashKernel(d);
        float[] rows = new float[300 * d];
        java.util.Arrays.fill(rows, Float.NaN);
        kernel.packQueries(FloatTensor.of(rows, 1, 1, 300, d), 0, 0, null, 0, 300, 1f);
        assertThat(kernel.queriesFinite()).isFalse();
        // fewer, finite rows into the same buffer: the stale NaN rows past them are not looked at
        kernel.packQueries(TestTensors.gaussian(r, 1, 1, 1, 7, d), 0, 0, null, 0, 7, 1f);
        assertThat(kernel.queriesFinite()).isTrue();

        PackedKeyValues kv = new PackedKeyValues();
        FloatTensor keys = TestTensors.gaussian(r, 1, 1, 1, 200, d);
        kv.pack(keys, with(keys, 199 * d + 3, Float.NaN), 0, 0, null, 0, 200);
        assertThat(kv.tileFinite(0)).isTrue();
        assertThat(kv.tileFinite(1)).isFalse();
        kv.pack(keys, keys, 0, 0, null, 0, 130);
        assertThat(kv.tileFinite(1)).isTrue();           // the padding past key 130 is zeroed, not stale
        assertThatThrownBy(() -> kv.tileFinite(2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tile 2");
    }
}
