package dev.hyperattention4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackedKeyValuesTest {

    private static FloatTensor random(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return FloatTensor.of(x, 1, 1, n, d);
    }

    /** The packed keys and values of the first {@code length} keys, padding included up to a whole tile. */
    private static float[][] used(PackedKeyValues kv) {
        int padded = FlashKernel.roundUp(kv.length(), TileSizes.Flash.KEY_TILE);
        return new float[][] {Arrays.copyOfRange(kv.keysTransposed(), PackedKeyValues.BASE, PackedKeyValues.BASE + padded * kv.dim()),
                Arrays.copyOfRange(kv.values(), PackedKeyValues.BASE, PackedKeyValues.BASE + padded * kv.valueStride())};
    }

    /** d = 20: value rows have zero columns; d = 80: more than one value column block, the last one narrower. */
    @ParameterizedTest
    @ValueSource(ints = {20, 80})
    void packExceptEqualsPackingTheRemainingRows(int d) {
        int n = 300;
        FloatTensor k = random(n, d, 1), v = random(n, d, 2);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = (i * 37) % n;
        }
        PackedKeyValues all = new PackedKeyValues();
        all.pack(k, v, 0, 0, rows, 0, n);
        PackedKeyValues cut = new PackedKeyValues();
        PackedKeyValues expected = new PackedKeyValues();
        // runs that cross tile boundaries, start at 0, end at the length, and the empty run
        int[][] skips = {{100, 140}, {0, 129}, {250, 300}, {5, 5}, {127, 128}, {0, 300}};
        for (int[] skip : skips) {
            // dirty the destination first: stale keys from a longer pack must not survive in the padding
            cut.pack(k, v, 0, 0, rows, 0, n);
            cut.packExcept(all, skip[0], skip[1]);
            int[] kept = new int[n - (skip[1] - skip[0])];
            int j = 0;
            for (int i = 0; i < n; i++) {
                if (i < skip[0] || i >= skip[1]) {
                    kept[j++] = rows[i];
                }
            }
            expected.pack(k, v, 0, 0, kept, 0, kept.length);
            assertEquals(kept.length, cut.length());
            float[][] got = used(cut), want = used(expected);
            assertArrayEquals(want[0], got[0], "keys without " + Arrays.toString(skip));
            assertArrayEquals(want[1], got[1], "values without " + Arrays.toString(skip));
        }
    }

    @Test
    void packExceptRejectsABadRange() {
        FloatTensor k = random(10, 4, 3);
        PackedKeyValues all = new PackedKeyValues();
        all.pack(k, k, 0, 0, null, 0, 10);
        PackedKeyValues cut = new PackedKeyValues();
        assertThrows(IllegalArgumentException.class, () -> cut.packExcept(all, 3, 11));
        assertThrows(IllegalArgumentException.class, () -> cut.packExcept(all, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> all.packExcept(all, 0, 1));
    }

    /**
     * The packed layout, element by element, when the keys are packed in ranges that start and end inside transpose
     * groups and tiles (the gathered and the scalar transposes), at head dims with and without padded value columns.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 16, 20, 64, 80, 128})
    void packRangeLaysOutEveryKeyAndValue(int d) {
        int n = 300;
        FloatTensor k = random(n, d, 4), v = random(n, d, 5);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = (i * 53 + 7) % n;
        }
        checkLayout(k, v, d, rows);
        // contiguous rows (no row list): at d = 16 and 64 the rows are bulk-copied (FloatTensor.readRows)
        checkLayout(k, v, d, null);
    }

    private static void checkLayout(FloatTensor k, FloatTensor v, int d, int[] rowList) {
        int n = k.length();
        int[] rows = rowList;
        if (rows == null) {
            rows = new int[n];
            Arrays.setAll(rows, i -> i);
        }
        PackedKeyValues kv = new PackedKeyValues();
        kv.prepare(k, v, 0, n);
        float[] scratch = new float[PackedKeyValues.scratchLength(d)];
        int[] cuts = {0, 5, 37, 128, 129, 144, 300};
        for (int c = 0; c + 1 < cuts.length; c++) {
            kv.packRange(k, v, 0, 0, rowList, 0, cuts[c], cuts[c + 1], scratch);
        }
        int dp = kv.valueStride(), t = TileSizes.Flash.KEY_TILE, kb = TileSizes.Flash.KEY_BLOCK;
        float[] kT = kv.keysTransposed(), vals = kv.values();
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                // [tile][key block][d][KEY_BLOCK]
                float key = kT[PackedKeyValues.BASE + (i / t) * d * t + (i % t) / kb * d * kb + c * kb + i % kb];
                assertEquals(k.get(0, 0, rows[i], c), key, "key " + i + " column " + c);
                int block = c / TileSizes.Flash.VALUE_BLOCK * TileSizes.Flash.VALUE_BLOCK;
                int width = Math.min(TileSizes.Flash.VALUE_BLOCK, dp - block);
                float value = vals[PackedKeyValues.BASE + (i / t) * t * dp + block * t + (i % t) * width + c - block];
                assertEquals(v.get(0, 0, rows[i], c), value, "value " + i + " column " + c);
            }
        }
    }

    @Test
    void packRangeRejectsTooSmallAScratch() {
        FloatTensor k = random(40, 64, 6);
        PackedKeyValues kv = new PackedKeyValues();
        kv.prepare(k, k, 0, 40);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kv.packRange(k, k, 0, 0, null, 0, 0, 40, new float[64]));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("scratch"), e.getMessage());
    }
}
