package dev.hyperattention4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link FloatTensor#readRows}: the bulk copy of contiguous rows and the row-by-row path agree with readRow. */
class FloatTensorRowsTest {

    /** What readRows must produce: readRow for each row, one after another. */
    private static float[] rowByRow(FloatTensor x, int b, int h, int first, int count, int dstOffset) {
        float[] want = new float[dstOffset + count * x.dim() + 3];
        for (int i = 0; i < count; i++) {
            x.readRow(b, h, first + i, want, dstOffset + i * x.dim());
        }
        return want;
    }

    private static void check(FloatTensor x, int b, int h, int first, int count) {
        float[] got = new float[5 + count * x.dim() + 3];
        x.readRows(b, h, first, count, got, 5);
        assertArrayEquals(rowByRow(x, b, h, first, count, 5), got,
                "rows " + first + ".." + (first + count) + " of head [" + b + "][" + h + "] of " + x.shapeString());
    }

    private static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i + 0.5f;
        }
        return a;
    }

    @Test
    void contiguousRowsOfAnyHeadAreCopiedInOneGo() {
        FloatTensor x = FloatTensor.of(iota(2 * 3 * 10 * 16), 2, 3, 10, 16);
        check(x, 0, 0, 0, 10);
        check(x, 1, 2, 3, 5);
        check(x, 1, 1, 9, 1);
        check(x, 0, 2, 4, 0);
    }

    @Test
    void stridedRowsAreCopiedOneByOne() {
        // [b][n][h][d] storage seen as [b][h][n][d]: rows of one head are heads·d apart
        int b = 2, h = 3, n = 7, d = 8;
        FloatTensor x = FloatTensor.strided(iota(b * n * h * d), 0, new int[] {b, h, n, d},
                new long[] {(long) n * h * d, d, (long) h * d, 1});
        check(x, 1, 2, 0, n);
        check(x, 0, 1, 2, 4);
        // a column stride other than 1: a transposed view
        FloatTensor t = FloatTensor.strided(iota(6 * 4), 0, new int[] {1, 1, 4, 6}, new long[] {24, 24, 1, 4});
        check(t, 0, 0, 1, 3);
        assertEquals(t.get(0, 0, 2, 1), 2 + 4 + 0.5f);
    }

    @Test
    void segmentBackedRowsMatchTheArrayOnes() {
        float[] data = iota(3 * 12 * 16);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(data.length * 4L, 64);
            MemorySegment.copy(data, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0,
                    data.length);
            FloatTensor x = FloatTensor.of(seg, 0, 1, 3, 12, 16);
            check(x, 0, 1, 2, 7);
            float[] got = new float[7 * 16];
            x.readRows(0, 1, 2, 7, got, 0);
            assertArrayEquals(Arrays.copyOfRange(data, (12 + 2) * 16, (12 + 9) * 16), got);
        }
    }

    /**
     * touchRows reads every 16th element of each listed row and the row's last (so it reaches the last cache line of
     * a row that does not start on one): with ones everywhere the sum counts the reads, with only the last column
     * set it shows that column is read.
     */
    @Test
    void touchRowsReadsEvery16thElementAndTheLastOfEachRow() {
        int[] rows = {3, 0, 3, 6};
        for (int d : new int[] {1, 15, 16, 17, 64, 70}) {
            int n = 7;
            float[] ones = new float[2 * n * d];
            Arrays.fill(ones, 1f);
            float[] lastColumn = new float[2 * n * d];
            for (int r = 0; r < 2 * n; r++) {
                lastColumn[r * d + d - 1] = 1000f;
            }
            int perRow = (d - 1 + 15) / 16 + 1;
            assertEquals(rows.length * perRow, FloatTensor.of(ones, 1, 2, n, d).touchRows(0, 1, rows, 0, 4), "d=" + d);
            assertEquals(3 * 1000f, FloatTensor.of(lastColumn, 1, 2, n, d).touchRows(0, 1, rows, 1, 4), "d=" + d);
        }
    }
}
