package dev.hyperattention4j.kernel;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Keys and values of one attention call, gathered from their tensors and packed once into the kernel's layout:
 * keys transposed per tile as {@code [tile][d][KEY_TILE]} (the key index is the SIMD lane dimension), values
 * row-major {@code [row][d]}. Both are zero-padded to a whole tile. Packing costs O(nk·d), against O(nq·nk·d) for
 * the attention that reads it, and lets HyperAttention read permuted rows without a separate copy of K or V.
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
    private float[] row = new float[0];

    /**
     * Packs rows of key/value head {@code [b][h]}: positions {@code rows[from..to)} of the tensors, or the
     * contiguous range {@code [from, to)} when {@code rows} is null. Packed key i is the i-th of those rows.
     */
    public void pack(FloatTensor key, FloatTensor value, int b, int h, int[] rows, int from, int to) {
        int n = to - from;
        int d = key.dim();
        int tiles = (n + KEY_TILE - 1) / KEY_TILE;
        int padded = tiles * KEY_TILE;
        ensure(padded, d);
        this.length = n;
        this.dim = d;
        for (int i = 0; i < n; i++) {
            int src = rows == null ? from + i : rows[from + i];
            key.readRow(b, h, src, row, 0);
            int base = (i / KEY_TILE) * d * KEY_TILE + (i % KEY_TILE);
            for (int c = 0; c < d; c++) {
                keysT[base + c * KEY_TILE] = row[c];
            }
            value.readRow(b, h, src, values, i * d);
        }
        // zero the padding so padded lanes produce finite scores (they are masked anyway)
        for (int i = n; i < padded; i++) {
            int base = (i / KEY_TILE) * d * KEY_TILE + (i % KEY_TILE);
            for (int c = 0; c < d; c++) {
                keysT[base + c * KEY_TILE] = 0f;
            }
            java.util.Arrays.fill(values, i * d, (i + 1) * d, 0f);
        }
    }

    private void ensure(int padded, int d) {
        int need = padded * d;
        if (keysT.length < need) {
            keysT = new float[need];
            values = new float[need];
        }
        if (row.length < d) {
            row = new float[d];
        }
    }

    /** Number of packed keys. */
    public int length() { return length; }

    public int dim() { return dim; }

    /** Transposed key tiles {@code [tile][d][KEY_TILE]}. */
    public float[] keysTransposed() { return keysT; }

    /** Values {@code [row][d]}, zero-padded to a whole tile. */
    public float[] values() { return values; }
}
