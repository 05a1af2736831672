package dev.hyperattention4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.kernel.FlashTiles;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How FlashAttention cuts the query rows into work units. */
class FlashQueryTilesTest {
    @ParameterizedTest
    @CsvSource({"1,1,2", "5,1,2", "131,1,1", "132,1,2", "133,1,2", "263,1,2", "264,1,2", "265,1,1", "4096,1,2", "4096,1,1", "4096,2,3", "4095,4,2",
            "16384,1,2", "32768,8,2", "1000,1,8", "7,1,8"})
    void tilesCoverTheRowsInWholeRegisterBlocksAndBalanceTheThreads(int nq, int group, int threads) {
        int tiles = FlashAttention.queryTiles(nq, group, threads);
        int fewest = FlashAttention.fewestTiles(nq);
        assertTrue(tiles >= fewest && tiles <= fewest + threads, "tiles " + tiles);
        assertEquals(0, FlashAttention.tileStart(0, tiles, nq));
        assertEquals(nq, FlashAttention.tileStart(tiles, tiles, nq));
        int smallest = Integer.MAX_VALUE, largest = 0;
        for (int i = 0; i < tiles; i++) {
            int from = FlashAttention.tileStart(i, tiles, nq), to = FlashAttention.tileStart(i + 1, tiles, nq);
            assertTrue(to > from, "tile " + i + " is empty");
            assertTrue(to - from <= TileSizes.Flash.ROW_TILE, "tile " + i + " has " + (to - from) + " rows");
            assertEquals(0, from % TileSizes.Flash.REGISTER_ROWS, "tile " + i + " starts inside a register block");
            if (to < nq) {
                smallest = Math.min(smallest, to - from);
            }
            largest = Math.max(largest, to - from);
        }
        if (tiles > 1) {
            assertTrue(largest - smallest <= TileSizes.Flash.REGISTER_ROWS, "full tiles differ by more than one block");
        }
        // the balance this is for: 4096 rows on 2 threads no longer leave a 4-row tile for one thread
        if (nq == 4096 && group == 1 && threads == 2) {
            assertEquals(0, tiles % 2);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,2,1", "1,6,2,6", "1,12,2,8", "300,12,2,4", "1000,12,8,8", "1000,6,2,2", "2000,6,2,1",
            "4096,1,2,1", "1,1,8,1"})
    void shortQueriesAttendSeveralKvGroupsPerRunSoEveryThreadHasUnits(int nq, int kvGroups, int threads, int expected) {
        int group = 1, fewest = FlashAttention.fewestTiles(nq);
        int groups = FlashAttention.groupsPerRun(kvGroups, group * fewest, threads, PackedKeyValues.packedBytes(nq, 64));
        assertEquals(expected, groups);
        assertTrue(groups * fewest >= Math.min(FlashAttention.UNITS_PER_THREAD * threads, kvGroups * fewest),
                "fewer units per run than asked for");
        assertTrue(groups == 1 || (groups - 1) * fewest < FlashAttention.UNITS_PER_THREAD * threads,
                "more groups per run than needed");
    }

    @ParameterizedTest
    @CsvSource({"4096,8", "16384,2", "32768,1", "131072,1"})
    void theKvGroupsOfOneRunHoldABoundedAmountOfPackedKeysAndValues(int nk, int expected) {
        // decoding (one query row) over 32 KV heads on 2 threads: 8 groups per run would give 4 units per thread
        long perGroup = PackedKeyValues.packedBytes(nk, 64);
        int groups = FlashAttention.groupsPerRun(32, 1, 2, perGroup);
        assertEquals(expected, groups);
        assertTrue(groups == 1 || groups * perGroup <= FlashAttention.PACKED_BYTES_PER_RUN, groups * perGroup + " bytes");
    }

    @org.junit.jupiter.api.Test
    void theDeterminismTestShapesChangeTheScheduleWithTheThreadCount() {
        // FlashDeterminismTest relies on these: 700 rows of one head cut into 3 units on 1 thread and 4 on 2 ...
        assertEquals(3, FlashAttention.queryTiles(700, 1, 1));
        assertEquals(4, FlashAttention.queryTiles(700, 1, 2));
        // ... and 4 query rows over 6 KV groups attended 4 groups per run on 1 thread, all 6 on 2
        long packed = PackedKeyValues.packedBytes(500, 64);
        assertEquals(4, FlashAttention.groupsPerRun(6, 1, 1, packed));
        assertEquals(6, FlashAttention.groupsPerRun(6, 1, 2, packed));
    }
}
