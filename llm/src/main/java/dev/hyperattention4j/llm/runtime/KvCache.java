package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Keys and values of every layer for up to {@code capacity} positions (the requested context, not the model's
 * maximum). Keys are stored transposed per KV head, {@code [kvHeads][headDim][capacity]}, so single-token decode
 * scores all cached positions with SIMD lanes along the positions; values are {@code [kvHeads][capacity][headDim]}.
 * {@link #keys} and {@link #values} expose both as {@code [1][kvHeads][length][headDim]} views for the
 * {@code Attention} implementations, without copying.
 */
public final class KvCache {
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final float[][] keysT;
    private final float[][] values;

    public KvCache(int layers, int kvHeads, int headDim, int capacity) {
        long perLayer = (long) kvHeads * headDim * capacity;
        if (capacity <= 0 || perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " must be > 0 and hold at most 2^31 "
                    + "floats per layer (kvHeads·headDim·capacity = " + perLayer + ")");
        }
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        this.keysT = new float[layers][(int) perLayer];
        this.values = new float[layers][(int) perLayer];
    }

    public int capacity() { return capacity; }

    public int layers() { return layers; }

    /** Bytes held by the cache. */
    public long bytes() {
        return 2L * layers * kvHeads * headDim * capacity * Float.BYTES;
    }

    /** Stores the key and value rows ({@code kvHeads·headDim} floats each) of position {@code pos}. */
    public void put(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        float[] kt = keysT[layer], vv = values[layer];
        for (int h = 0; h < kvHeads; h++) {
            int kb = h * headDim * capacity + pos;
            int vb = (h * capacity + pos) * headDim;
            for (int c = 0; c < headDim; c++) {
                kt[kb + c * capacity] = k[kOff + h * headDim + c];
            }
            System.arraycopy(v, vOff + h * headDim, vv, vb, headDim);
        }
    }

    float[] keysTransposed(int layer) { return keysT[layer]; }

    float[] valueRows(int layer) { return values[layer]; }

    /** Keys of positions {@code [0, length)} as a {@code [1][kvHeads][length][headDim]} view. */
    public FloatTensor keys(int layer, int length) {
        return FloatTensor.strided(keysT[layer], 0, new int[] {1, kvHeads, length, headDim},
                new long[] {0, (long) headDim * capacity, 1, capacity});
    }

    /** Values of positions {@code [0, length)} as a {@code [1][kvHeads][length][headDim]} view. */
    public FloatTensor values(int layer, int length) {
        return FloatTensor.strided(values[layer], 0, new int[] {1, kvHeads, length, headDim},
                new long[] {0, (long) capacity * headDim, headDim, 1});
    }
}
