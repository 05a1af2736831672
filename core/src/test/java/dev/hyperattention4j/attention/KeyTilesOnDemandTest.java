package dev.hyperattention4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Key/value tiles packed by whichever worker first needs them (FlashAttention's packing). */
class KeyTilesOnDemandTest {

    private static FloatTensor random(int heads, int n, int d, long seed) {
        Random r = new Random(seed);
        float[] x = new float[heads * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return FloatTensor.of(x, 1, heads, n, d);
    }

    private static float[][] scratch(int workers, int d) {
        float[][] s = new float[workers][];
        for (int w = 0; w < workers; w++) {
            s[w] = new float[PackedKeyValues.scratchLength(d)];
        }
        return s;
    }

    /** Two workers walking every tile in step, each claiming what the other has not: the same buffers as eager packing. */
    @Test
    void tilesPackedOnDemandByTwoWorkersEqualEagerPacking() {
        int n = 1000, d = 64, tiles = (n + TileSizes.Flash.KEY_TILE - 1) / TileSizes.Flash.KEY_TILE;
        FloatTensor k = random(2, n, d, 1), v = random(2, n, d, 2);
        PackedKeyValues lazy = new PackedKeyValues();
        KeyTilesOnDemand onDemand = new KeyTilesOnDemand(lazy, scratch(2, d));
        PackedKeyValues eager = new PackedKeyValues();
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int head = 0; head < 2; head++) {
                onDemand.reset(k, v, 0, head, true);
                pool.run(2, (worker, unit) -> {
                    for (int t = 0; t < tiles; t++) {
                        assertTrue(onDemand.gate(worker).await(t));
                    }
                });
                assertFalse(onDemand.sawNonFinite());
                eager.pack(k, v, 0, head, null, 0, n);
                int padded = tiles * TileSizes.Flash.KEY_TILE;
                assertArrayEquals(Arrays.copyOf(eager.keysTransposed(), PackedKeyValues.BASE + padded * d),
                        Arrays.copyOf(lazy.keysTransposed(), PackedKeyValues.BASE + padded * d), "keys, head " + head);
                assertArrayEquals(Arrays.copyOf(eager.values(), PackedKeyValues.BASE + padded * d),
                        Arrays.copyOf(lazy.values(), PackedKeyValues.BASE + padded * d), "values, head " + head);
            }
        }
    }

    @Test
    void aNonFiniteValueStopsTheWorkersThatReachItsTile() {
        int n = 600, d = 16;
        FloatTensor k = random(1, n, d, 3), v = random(1, n, d, 4);
        v.set(0, 0, 3 * TileSizes.Flash.KEY_TILE + 5, 7, Float.NaN);        // in tile 3
        KeyTilesOnDemand onDemand = new KeyTilesOnDemand(new PackedKeyValues(), scratch(1, d));
        onDemand.reset(k, v, 0, 0, true);
        assertTrue(onDemand.gate(0).await(0));
        assertTrue(onDemand.gate(0).await(1));
        assertFalse(onDemand.gate(0).await(2), "tile 2's look-ahead packs tile 3");
        assertTrue(onDemand.sawNonFinite());
        // PROPAGATE: packed as it is
        onDemand.reset(k, v, 0, 0, false);
        for (int t = 0; t < 5; t++) {
            assertTrue(onDemand.gate(0).await(t));
        }
        assertFalse(onDemand.sawNonFinite());
    }

    /** A tile whose packing throws is marked failed: the other worker stops waiting and the call fails, no hang. */
    @Test
    void aPackingFailureReachesTheCallerWithoutAHang() {
        int n = 2048, d = 32;
        FloatTensor q = random(1, n, d, 5), v = random(1, n, d, 6);
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate((long) n * d * 4, 64);
        FloatTensor k = FloatTensor.of(seg, 0, 1, 1, n, d);
        arena.close();                                   // every read of k now throws
        AttentionProblem p = AttentionProblem.of(q, k, v).withNonFinite(NonFinitePolicy.PROPAGATE);
        try (WorkerPool pool = new WorkerPool(2)) {
            FlashAttention flash = new FlashAttention(pool);
            assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(IllegalStateException.class, () -> flash.forward(p)));
        }
    }
}
