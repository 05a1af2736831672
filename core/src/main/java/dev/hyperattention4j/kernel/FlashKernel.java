package dev.hyperattention4j.kernel;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * The exact tiled attention kernel for one (batch, head) problem on one thread: online softmax over key tiles
 * (running max and sum per query row, never an nq×nk buffer). One instance per worker: it owns its scratch.
 *
 * <p>Protocol: {@link #packQueries} gathers and pre-scales query rows (by {@code scale·log2(e)}, so the softmax
 * uses exp2), then {@link #attend} runs them against a {@link PackedKeyValues}. Masking: packed key j is visible to
 * packed query row r iff {@code j <= r + diagonal}; {@link #NO_MASK} disables it. Output rows are normalised; the
 * log-sum-exp is the natural log of the row normaliser. A row that sees no key gets a zero output and
 * {@code -Infinity}.
 */
public final class FlashKernel {
    /** {@code diagonal} value meaning "no causal mask". */
    public static final int NO_MASK = Integer.MAX_VALUE / 2;
    static final float LOG2E = 1.4426950408889634f;
    static final float LN2 = 0.6931471805599453f;

    private final int dim;
    private float[] queries = new float[0];
    private int queryRows;
    private final float[] scores = new float[PackedKeyValues.KEY_TILE];

    public FlashKernel(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("head dim must be > 0, got " + dim);
        }
        this.dim = dim;
    }

    public int dim() {
        return dim;
    }

    /** Gathers query rows {@code rows[from..to)} (or {@code [from, to)} when rows is null) of head {@code [b][h]}. */
    public void packQueries(FloatTensor query, int b, int h, int[] rows, int from, int to, float scale) {
        int n = to - from;
        if (queries.length < n * dim) {
            queries = new float[n * dim];
        }
        float s = scale * LOG2E;
        for (int i = 0; i < n; i++) {
            query.readRow(b, h, rows == null ? from + i : rows[from + i], queries, i * dim);
            for (int c = 0; c < dim; c++) {
                queries[i * dim + c] *= s;
            }
        }
        queryRows = n;
    }

    public int queryRows() {
        return queryRows;
    }

    /**
     * Attends the packed queries to packed keys {@code [keyFrom, keyTo)}; writes {@code out[outOffset + r·d ..]}
     * and, when lse is non-null, {@code lse[lseOffset + r]}.
     */
    public void attend(PackedKeyValues kv, int keyFrom, int keyTo, int diagonal,
                       float[] out, int outOffset, float[] lse, int lseOffset) {
        final int d = dim;
        final int tile = PackedKeyValues.KEY_TILE;
        float[] kT = kv.keysTransposed();
        float[] v = kv.values();
        for (int r = 0; r < queryRows; r++) {
            int rowEnd = Math.min(keyTo, r + diagonal + 1);   // exclusive end of visible keys
            int o = outOffset + r * d;
            java.util.Arrays.fill(out, o, o + d, 0f);
            float max = Float.NEGATIVE_INFINITY;
            float sum = 0f;
            for (int j0 = keyFrom; j0 < rowEnd; ) {
                int t = j0 / tile;
                int lane0 = j0 % tile;
                int lanes = Math.min(tile - lane0, rowEnd - j0);
                int base = t * d * tile;
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int l = 0; l < lanes; l++) {
                    float s = 0f;
                    for (int c = 0; c < d; c++) {
                        s += queries[r * d + c] * kT[base + c * tile + lane0 + l];
                    }
                    scores[l] = s;
                    tileMax = Math.max(tileMax, s);
                }
                if (tileMax > max) {
                    float correction = (float) Math.exp((max - tileMax) * LN2);
                    sum *= correction;
                    for (int c = 0; c < d; c++) {
                        out[o + c] *= correction;
                    }
                    max = tileMax;
                }
                for (int l = 0; l < lanes; l++) {
                    float p = (float) Math.exp((scores[l] - max) * LN2);
                    sum += p;
                    int vRow = (j0 + l) * d;
                    for (int c = 0; c < d; c++) {
                        out[o + c] += p * v[vRow + c];
                    }
                }
                j0 += lanes;
            }
            if (sum > 0f) {
                float inv = 1f / sum;
                for (int c = 0; c < d; c++) {
                    out[o + c] *= inv;
                }
            }
            if (lse != null) {
                lse[lseOffset + r] = sum > 0f ? (max + (float) (Math.log(sum) / LN2)) * LN2 : Float.NEGATIVE_INFINITY;
            }
        }
    }
}
