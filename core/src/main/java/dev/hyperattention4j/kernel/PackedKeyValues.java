package dev.hyperattention4j.kernel;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;

/**
 * Keys and values of one attention call, gathered from their tensors and packed once into the kernel's layout:
 * keys transposed per tile as {@code [tile][d][KEY_TILE]} (the key index is the SIMD lane dimension), values
 * row-major {@code [row][valueStride]} with {@code valueStride = d} rounded up to whole vectors (so the P·V kernel
 * needs no column tail; the extra columns are zero). Both are zero-padded to a whole tile. Packing costs O(nk·d),
 * against O(nq·nk·d) for the attention that reads it, and lets HyperAttention read permuted rows without a separate
 * copy of K or V.
 *
 * <p>Buffers grow on demand and are reused, so a per-worker instance allocates nothing once warm.
 */
public final class PackedKeyValues {
    /** Keys per tile (Bc). */
    public static final int KEY_TILE = 128;

    private float[] keysT = new float[0];
    private float[] values = new float[0];
    private int length;
    private int dim;
    private int valueStride;
    private float[] row = new float[0];

    /** The packed value row stride for head dim d: d rounded up to a multiple of the vector lane count. */
    public static int valueStride(int d) {
        return FlashKernel.roundUp(d, VectorWidth.LANES);
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
    }

    /**
     * Packs keys {@code [begin, end)} of the range given to {@link #prepare} (packed key i is tensor row
     * {@code rows[from + i]}, or {@code from + i} when rows is null), and zero-fills the padding of the last tile
     * when {@code end} is the length. Calls on disjoint ranges may run concurrently, each with its own
     * {@code rowScratch} of at least d floats.
     */
    public void packRange(FloatTensor key, FloatTensor value, int b, int h, int[] rows, int from, int begin, int end,
                          float[] rowScratch) {
        final int d = dim, dp = valueStride, n = length;
        for (int i = begin; i < end; i++) {
            int src = rows == null ? from + i : rows[from + i];
            key.readRow(b, h, src, rowScratch, 0);
            int base = (i / KEY_TILE) * d * KEY_TILE + (i % KEY_TILE);
            for (int c = 0; c < d; c++) {
                keysT[base + c * KEY_TILE] = rowScratch[c];
            }
            value.readRow(b, h, src, values, i * dp);
            if (dp > d) {
                Arrays.fill(values, i * dp + d, (i + 1) * dp, 0f);
            }
        }
        if (end == n) {
            zeroPadding();
        }
    }

    /**
     * Zeroes the keys and values past the length up to a whole tile, so padded lanes give finite scores (they are
     * masked anyway) and zero P·V terms.
     */
    private void zeroPadding() {
        final int d = dim, dp = valueStride, n = length;
        int padded = FlashKernel.roundUp(n, KEY_TILE);
        for (int i = n; i < padded; i++) {
            int base = (i / KEY_TILE) * d * KEY_TILE + (i % KEY_TILE);
            for (int c = 0; c < d; c++) {
                keysT[base + c * KEY_TILE] = 0f;
            }
        }
        Arrays.fill(values, n * dp, padded * dp, 0f);
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
        copyKeys(src, 0, 0, skipFrom);
        copyKeys(src, skipTo, skipFrom, n - skipFrom);
        System.arraycopy(src.values, 0, values, 0, skipFrom * dp);
        System.arraycopy(src.values, skipTo * dp, values, skipFrom * dp, (n - skipFrom) * dp);
        zeroPadding();
    }

    /** Copies {@code count} transposed keys from src key {@code from} to key {@code to}, in runs within one tile. */
    private void copyKeys(PackedKeyValues src, int from, int to, int count) {
        final int d = dim;
        while (count > 0) {
            int run = Math.min(count, Math.min(KEY_TILE - from % KEY_TILE, KEY_TILE - to % KEY_TILE));
            int s = (from / KEY_TILE) * d * KEY_TILE + from % KEY_TILE;
            int t = (to / KEY_TILE) * d * KEY_TILE + to % KEY_TILE;
            for (int c = 0; c < d; c++) {
                System.arraycopy(src.keysT, s + c * KEY_TILE, keysT, t + c * KEY_TILE, run);
            }
            from += run;
            to += run;
            count -= run;
        }
    }

    private void ensure(int padded, int d, int dp) {
        if (keysT.length < padded * d) {
            keysT = new float[padded * d];
        }
        if (values.length < padded * dp) {
            values = new float[padded * dp];
        }
        if (row.length < d) {   // pack()'s own scratch
            row = new float[d];
        }
    }

    /** Number of packed keys. */
    public int length() { return length; }

    public int dim() { return dim; }

    /** Floats per packed value row: {@link #dim()} rounded up to whole vectors. */
    public int valueStride() { return valueStride; }

    /** Transposed key tiles {@code [tile][d][KEY_TILE]}. */
    public float[] keysTransposed() { return keysT; }

    /** Values {@code [row][valueStride()]}, zero-padded to a whole tile and to whole vectors per row. */
    public float[] values() { return values; }
}
