package dev.hyperattention4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.kernel.FlashTiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How FlashAttention cuts the query rows into work units. */
class FlashQueryTilesTest {
    @ParameterizedTest
    @CsvSource({"1,1,2", "5,1,2", "131,1,1", "132,1,2", "133,1,2", "263,1,2", "264,1,2", "265,1,1", "4096,1,2", "4096,1,1", "4096,2,3", "4095,4,2",
            "16384,1,2", "32768,8,2", "1000,1,8", "7,1,8"})
    void tilesCoverTheRowsInWholeRegisterBlocksAndBalanceTheThreads(int nq, int group, int threads) {
        int tiles = FlashAttention.queryTiles(nq, group, threads);
        int fewest = (nq + FlashAttention.QUERY_TILE - 1) / FlashAttention.QUERY_TILE;
        assertTrue(tiles >= fewest && tiles <= fewest + threads, "tiles " + tiles);
        assertEquals(0, FlashAttention.tileStart(0, tiles, nq));
        assertEquals(nq, FlashAttention.tileStart(tiles, tiles, nq));
        int smallest = Integer.MAX_VALUE, largest = 0;
        for (int i = 0; i < tiles; i++) {
            int from = FlashAttention.tileStart(i, tiles, nq), to = FlashAttention.tileStart(i + 1, tiles, nq);
            assertTrue(to > from, "tile " + i + " is empty");
            assertTrue(to - from <= FlashAttention.QUERY_TILE, "tile " + i + " has " + (to - from) + " rows");
            assertEquals(0, from % FlashTiles.ROW_BLOCK, "tile " + i + " starts inside a register block");
            if (to < nq) {
                smallest = Math.min(smallest, to - from);
            }
            largest = Math.max(largest, to - from);
        }
        if (tiles > 1) {
            assertTrue(largest - smallest <= FlashTiles.ROW_BLOCK, "full tiles differ by more than one block");
        }
        // the balance this is for: 4096 rows on 2 threads no longer leave a 4-row tile for one thread
        if (nq == 4096 && group == 1 && threads == 2) {
            assertEquals(0, tiles % 2);
        }
    }
}
