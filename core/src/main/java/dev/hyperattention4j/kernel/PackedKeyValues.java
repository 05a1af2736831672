package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_TILE;
import static dev.hyperattention4j.kernel.TileSizes.Flash.VALUE_BLOCK;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Keys and values of one attention call, gathered from their tensors and packed once into the kernel's layout:
 * keys transposed per tile in blocks of {@link TileSizes.Flash#KEY_BLOCK} keys,
 * {@code [tile][KEY_TILE / KEY_BLOCK][d][KEY_BLOCK]}
 * (the key index is the SIMD lane dimension; each block, which the score kernel keeps in L1 while every query row
 * block streams past it, is contiguous instead of a 256-byte run every 512 bytes: one thread n = 4096 +0.1 to +1.2
 * points at d = 64, +0.3 to +1.0 at d = 128 in paired runs), values per
 * tile in column blocks of {@link TileSizes.Flash#VALUE_BLOCK} columns,
 * {@code [tile][column block][KEY_TILE][block width]}, with
 * rows of {@code valueStride = d} rounded up to whole vectors (so the P·V kernel needs no column tail; the extra
 * columns are zero). The column blocks give the P·V micro-kernel a row stride that is a compile-time constant
 * (4 vectors), which lets C2 drop the range checks and the address arithmetic from its inner loop (82-94 % of peak
 * against 73-80 % with the row stride d); for d = 64 at 16 lanes the layout is plain row-major. Both are
 * zero-padded to a whole tile. Packing costs O(nk·d),
 * against O(nq·nk·d) for the attention that reads it, and lets HyperAttention read permuted rows without a separate
 * copy of K or V.
 *
 * <p>Buffers grow on demand and are reused, so a per-worker instance allocates nothing once warm.
 */
public final class PackedKeyValues {
    /**
     * Index of the first packed element in {@link #keysTransposed()} and {@link #values()}: the tiles start on a
     * cache line when the JVM lets {@link ArrayAlignment} know where arrays start (every tile is a multiple of 16
     * floats, so then all of them do).
     */
    public static final int BASE = ArrayAlignment.FLOAT_OFFSET;
    /** Keys transposed together while packing: 16 floats, one cache line of a transposed key row. */
    static final int TRANSPOSE_GROUP = 16;
    private static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    private static final int LANES = VectorWidth.LANES;

    private float[] keysT = new float[0];
    private float[] values = new float[0];
    private int length;
    private int dim;
    private int valueStride;
    /** Gather offsets {@code g·gatherStride} of a transpose group's rows in the packing scratch. */
    private final int[] gatherIndex = new int[TRANSPOSE_GROUP];
    private int gatherStride;
    private float[] row = new float[0];

    /** The packed value row stride for head dim d: d rounded up to a multiple of the vector lane count. */
    public static int valueStride(int d) {
        return FlashKernel.roundUp(d, VectorWidth.LANES);
    }

    /** Bytes of packed keys and values that {@code keys} keys of head dim d take (whole tiles). */
    public static long packedBytes(int keys, int d) {
        return 4L * FlashKernel.roundUp(keys, KEY_TILE) * (d + valueStride(d));
    }

    /** Floats of scratch that {@link #packRange} needs for head dim d: a group of padded rows. */
    public static int scratchLength(int d) {
        return TRANSPOSE_GROUP * valueStride(d);
    }

    /**
     * Packs rows of key/value head {@code [b][h]}: positions {@code rows[from..to)} of the tensors, or the
     * contiguous range {@code [from, to)} when {@code rows} is null. Packed key i is the i-th of those rows.
     */
    public void pack(FloatTensor key, FloatTensor value, int b, int h, int[] rows, int from, int to) {
        prepare(key, value, from, to);
        packRange(key, value, b, h, rows, from, 0, to - from, row);
    }

    /**
     * Sizes the buffers for {@code to - from} keys of {@code key}'s head dim, before {@link #packRange} calls (which
     * may then run in parallel on disjoint ranges).
     */
    public void prepare(FloatTensor key, FloatTensor value, int from, int to) {
        if (key.dim() != value.dim()) {
            throw new IllegalArgumentException("key " + key.shapeString() + " and value " + value.shapeString()
                    + " must have the same head dim");
        }
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("key row range [" + from + ", " + to + ") is invalid");
        }
        int n = to - from;
        int d = key.dim();
        int dp = valueStride(d);
        ensure(FlashKernel.roundUp(n, KEY_TILE), d, dp);
        this.length = n;
        this.dim = d;
        this.valueStride = dp;
        if (gatherStride != dp) {
            for (int g = 0; g < TRANSPOSE_GROUP; g++) {
                gatherIndex[g] = g * dp;
            }
            gatherStride = dp;
        }
    }

    /**
     * Packs keys {@code [begin, end)} of the range given to {@link #prepare} (packed key i is tensor row
     * {@code rows[from + i]}, or {@code from + i} when rows is null), and zero-fills the padding of the last tile
     * when {@code end} is the length. Calls on disjoint ranges may run concurrently, each with its own
     * {@code rowScratch} of at least {@link #scratchLength(int) scratchLength(d)} floats.
     */
    public void packRange(FloatTensor key, FloatTensor value, int b, int h, int[] rows, int from, int begin, int end,
                          float[] rowScratch) {
        final int d = dim, dp = valueStride, n = length;
        if (rowScratch.length < scratchLength(d)) {
            throw new IllegalArgumentException("packing scratch has " + rowScratch.length + " floats, needs "
                    + scratchLength(d));
        }
        for (int i = begin; i < end; ) {
            // a group of keys whose transposed elements share 64-byte runs: gather their rows, then write every
            // dimension's run in one go (a key at a time would scatter d floats KEY_TILE floats apart)
            final int count = Math.min(end, (i / TRANSPOSE_GROUP + 1) * TRANSPOSE_GROUP) - i;
            if (rows == null && dp == d) {
                key.readRows(b, h, from + i, count, rowScratch, 0);   // one copy when the rows are contiguous
            } else {
                for (int g = 0; g < count; g++) {
                    key.readRow(b, h, rows == null ? from + i + g : rows[from + i + g], rowScratch, g * dp);
                }
            }
            final int base = keyIndex(i);
            if (count == TRANSPOSE_GROUP && dp == gatherStride) {
                for (int c = 0; c < d; c++) {
                    for (int g = 0; g < TRANSPOSE_GROUP; g += LANES) {   // one gather per vector of keys
                        FloatVector.fromArray(SPECIES, rowScratch, c, gatherIndex, g)
                                .intoArray(keysT, base + c * KEY_BLOCK + g);
                    }
                }
            } else {
                for (int c = 0; c < d; c++) {
                    final int at = base + c * KEY_BLOCK;
                    for (int g = 0; g < count; g++) {
                        keysT[at + g] = rowScratch[g * dp + c];
                    }
                }
            }
            if (rows == null && dp == d && dp <= VALUE_BLOCK) {
                // one column block of whole rows: the packed tile is row-major, so copy the rows straight in
                value.readRows(b, h, from + i, count, values, valueIndex(i, 0));
            } else if (dp == d && dp <= VALUE_BLOCK) {
                for (int g = 0; g < count; g++) {     // the same for gathered rows, one at a time
                    value.readRow(b, h, rows[from + i + g], values, valueIndex(i + g, 0));
                }
            } else {
                for (int g = 0; g < count; g++) {
                    value.readRow(b, h, rows == null ? from + i + g : rows[from + i + g], rowScratch, 0);
                    if (dp > d) {
                        Arrays.fill(rowScratch, d, dp, 0f);
                    }
                    writeValueRow(rowScratch, 0, i + g);
                }
            }
            i += count;
        }
        if (end == n) {
            zeroPadding();
        }
    }

    /**
     * True when every packed key and value of tile {@code tile} is finite: a scan of data {@link #packRange} has just
     * written (cache-hot), so callers validate K and V without a separate pass over the tensors. Padding is zero.
     */
    public boolean tileFinite(int tile) {
        if (tile < 0 || (long) tile * KEY_TILE >= Math.max(1, length)) {
            throw new IllegalArgumentException("tile " + tile + " is outside the " + length + " packed keys");
        }
        final int keys = BASE + tile * dim * KEY_TILE, vals = BASE + tile * KEY_TILE * valueStride;
        return FiniteScan.allFinite(keysT, keys, keys + dim * KEY_TILE)
                && FiniteScan.allFinite(values, vals, vals + KEY_TILE * valueStride);
    }

    /**
     * Zeroes the keys and values past the length up to a whole tile, so padded lanes give finite scores (they are
     * masked anyway) and zero P·V terms.
     */
    private void zeroPadding() {
        final int d = dim, dp = valueStride, n = length;
        int padded = FlashKernel.roundUp(n, KEY_TILE);
        for (int i = n; i < padded; i++) {
            int base = keyIndex(i);
            for (int c = 0; c < d; c++) {
                keysT[base + c * KEY_BLOCK] = 0f;
            }
        }
        for (int i = n; i < padded; i++) {
            for (int cb = 0; cb < dp; cb += VALUE_BLOCK) {
                int at = valueIndex(i, cb);
                Arrays.fill(values, at, at + Math.min(VALUE_BLOCK, dp - cb), 0f);
            }
        }
    }

    /**
     * Index of key i's column 0 in the transposed keys {@code [tile][key block][d][KEY_BLOCK]}; column c is
     * {@code c·KEY_BLOCK} further.
     */
    private int keyIndex(int i) {
        return BASE + (i / KEY_TILE) * dim * KEY_TILE + (i % KEY_TILE) / KEY_BLOCK * dim * KEY_BLOCK + i % KEY_BLOCK;
    }

    /** Index of value row i, column block starting at column {@code cb}, within {@link #values()}. */
    private int valueIndex(int i, int cb) {
        int width = Math.min(VALUE_BLOCK, valueStride - cb);
        return BASE + (i / KEY_TILE) * KEY_TILE * valueStride + cb * KEY_TILE + (i % KEY_TILE) * width;
    }

    /** Stores {@code valueStride} floats of {@code src[from..]} as packed value row i. */
    private void writeValueRow(float[] src, int from, int i) {
        for (int cb = 0; cb < valueStride; cb += VALUE_BLOCK) {
            System.arraycopy(src, from + cb, values, valueIndex(i, cb), Math.min(VALUE_BLOCK, valueStride - cb));
        }
    }

    /**
     * Packs the keys of {@code src} except {@code [skipFrom, skipTo)}, in order: packed key i is src key i below
     * skipFrom and src key {@code i + (skipTo - skipFrom)} from there. A copy between packed buffers that are
     * usually in cache, where re-gathering the rows from their tensors would wait for memory (HyperAttention drops a
     * query block's own samples this way).
     */
    public void packExcept(PackedKeyValues src, int skipFrom, int skipTo) {
        if (src == this) {
            throw new IllegalArgumentException("packExcept needs a different source");
        }
        if (skipFrom < 0 || skipTo < skipFrom || skipTo > src.length) {
            throw new IllegalArgumentException("skipped range [" + skipFrom + ", " + skipTo + ") is outside the "
                    + src.length + " packed keys");
        }
        final int d = src.dim, dp = src.valueStride, n = src.length - (skipTo - skipFrom);
        ensure(FlashKernel.roundUp(n, KEY_TILE), d, dp);
        this.length = n;
        this.dim = d;
        this.valueStride = dp;
        copyRows(src, 0, 0, skipFrom);
        copyRows(src, skipTo, skipFrom, n - skipFrom);
        zeroPadding();
    }

    /**
     * Copies {@code count} packed keys and values from src key {@code from} to key {@code to}, in runs that stay
     * within one tile of both: a run is contiguous in every transposed key row and in every value column block.
     */
    private void copyRows(PackedKeyValues src, int from, int to, int count) {
        final int d = dim, dp = valueStride;
        while (count > 0) {
            int run = Math.min(count, Math.min(KEY_BLOCK - from % KEY_BLOCK, KEY_BLOCK - to % KEY_BLOCK));
            int s = src.keyIndex(from), t = keyIndex(to);
            for (int c = 0; c < d; c++) {
                System.arraycopy(src.keysT, s + c * KEY_BLOCK, keysT, t + c * KEY_BLOCK, run);
            }
            for (int cb = 0; cb < dp; cb += VALUE_BLOCK) {
                System.arraycopy(src.values, src.valueIndex(from, cb), values, valueIndex(to, cb),
                        run * Math.min(VALUE_BLOCK, dp - cb));
            }
            from += run;
            to += run;
            count -= run;
        }
    }

    private void ensure(int padded, int d, int dp) {
        if (keysT.length < BASE + padded * d) {
            keysT = new float[BASE + padded * d];
        }
        if (values.length < BASE + padded * dp) {
            values = new float[BASE + padded * dp];
        }
        if (row.length < TRANSPOSE_GROUP * dp) {   // pack()'s own scratch
            row = new float[TRANSPOSE_GROUP * dp];
        }
    }

    /** Number of packed keys. */
    public int length() { return length; }

    public int dim() { return dim; }

    /** Floats per packed value row: {@link #dim()} rounded up to whole vectors. */
    public int valueStride() { return valueStride; }

    /** Transposed key tiles {@code [tile][KEY_TILE / KEY_BLOCK][d][KEY_BLOCK]}. */
    public float[] keysTransposed() { return keysT; }

    /**
     * Values per tile in column blocks, {@code [tile][column block][KEY_TILE][min(VALUE_BLOCK, valueStride - block
     * start)]}, zero-padded to a whole tile and to whole vectors per row.
     */
    public float[] values() { return values; }
}
