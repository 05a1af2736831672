package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_TILE;
import static dev.hyperattention4j.kernel.TileSizes.Flash.QUERY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.REGISTER_ROWS;
import static dev.hyperattention4j.kernel.TileSizes.Flash.ROW_TILE;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The exact tiled attention kernel for one (batch, head) problem on one thread: online softmax over key tiles
 * (running max and sum per query row, never an nq×nk buffer). One instance per worker: it owns its scratch, which
 * grows on demand and is then reused, so a warm kernel allocates nothing.
 *
 * <p>Protocol: {@link #packQueries} gathers and pre-scales query rows (by {@code scale·log2(e)}, so the softmax
 * uses exp2), then {@link #attend} runs them against a {@link PackedKeyValues}. Masking: packed key j is visible to
 * packed query row r iff {@code j <= r + diagonal}; {@link #NO_MASK} disables it. Output rows are normalised; the
 * log-sum-exp is the natural log of the row normaliser. A row that sees no key gets a zero output and
 * {@code -Infinity}.
 *
 * <p>Per chunk of {@link TileSizes.Flash#ROW_TILE} query rows and per key tile of {@link TileSizes.Flash#KEY_TILE}
 * keys, the work
 * is {@link FlashTiles#scoreTile} (Q·Kᵀ with fused row maxima), {@link FlashTiles#maskTile} (only for tiles the mask
 * or the key range cuts), {@link FlashTiles#softmaxTile} (running max, exp2, row sums) and
 * {@link FlashTiles#valueTile} (P·V into the rescaled output accumulator). Key tiles entirely above the causal
 * diagonal are skipped. Scratch: scores {@code ROW_TILE × KEY_TILE} floats (132 KiB, one array per register block)
 * and the output accumulator {@code ROW_TILE × dp}, both O(tile²).
 */
public final class FlashKernel {
    /** {@code diagonal} value meaning "no causal mask". */
    public static final int NO_MASK = Integer.MAX_VALUE / 2;
    static final float LOG2E = 1.4426950408889634f;
    static final double LN2 = 0.6931471805599453;

    private final int dim;
    private final int valueStride;
    /** Packed, scaled queries: per chunk of ROW_TILE rows, {@code [ceil(d / QUERY_BLOCK)][ROW_TILE][QUERY_BLOCK]}. */
    private float[] queries = new float[0];
    private final int chunkFloats;
    private final float[] row;
    private int queryRows;
    private final float[][] scores = FlashTiles.scoreBlocks(ROW_TILE);
    private final float[] laneMax = new float[FlashTiles.BASE + ROW_TILE * VectorWidth.LANES];
    private final float[] acc;
    private final float[] rowMax = new float[ROW_TILE];
    private final float[] laneSum = new float[FlashTiles.BASE + ROW_TILE * VectorWidth.LANES];

    public FlashKernel(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("head dim must be > 0, got " + dim);
        }
        this.dim = dim;
        this.valueStride = PackedKeyValues.valueStride(dim);
        this.acc = new float[FlashTiles.BASE + ROW_TILE * valueStride];
        this.chunkFloats = (dim + QUERY_BLOCK - 1) / QUERY_BLOCK * ROW_TILE * QUERY_BLOCK;
        this.row = new float[dim];
    }

    public int dim() {
        return dim;
    }

    /**
     * Gathers query rows {@code rows[from..to)} (or {@code [from, to)} when rows is null) of head {@code [b][h]},
     * scaled, into chunks of {@link TileSizes.Flash#ROW_TILE} rows laid out as {@link FlashTiles#scoreTile} reads them.
     */
    public void packQueries(FloatTensor query, int b, int h, int[] rows, int from, int to, float scale) {
        if (query.dim() != dim) {
            throw new IllegalArgumentException("query " + query.shapeString() + " must have head dim " + dim);
        }
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("query row range [" + from + ", " + to + ") is invalid");
        }
        final int n = to - from, d = dim, qb = QUERY_BLOCK;
        final int chunks = (n + ROW_TILE - 1) / ROW_TILE;
        if (queries.length < chunks * chunkFloats) {
            queries = new float[chunks * chunkFloats];
        }
        final float s = scale * LOG2E;
        for (int i = 0; i < n; i++) {
            query.readRow(b, h, rows == null ? from + i : rows[from + i], row, 0);
            final int at = (i / ROW_TILE) * chunkFloats + (i % ROW_TILE) * qb;
            for (int cb = 0; cb < d; cb += qb) {
                final int to0 = at + (cb / qb) * ROW_TILE * qb - cb;
                for (int c = cb, end = Math.min(d, cb + qb); c < end; c++) {
                    queries[to0 + c] = row[c] * s;
                }
            }
        }
        // zero rows pad the last register block; their results are computed and dropped
        for (int i = n, padded = roundUp(n, REGISTER_ROWS); i < padded; i++) {
            final int at = (i / ROW_TILE) * chunkFloats + (i % ROW_TILE) * qb;
            for (int cb = 0; cb < d; cb += qb) {
                Arrays.fill(queries, at + (cb / qb) * ROW_TILE * qb, at + (cb / qb) * ROW_TILE * qb + qb, 0f);
            }
        }
        queryRows = n;
    }

    /**
     * True when every query row of the last {@link #packQueries} call is finite after scaling: a scan of the packed
     * (cache-hot) rows, so callers validate Q without a separate pass over the tensor.
     */
    public boolean queriesFinite() {
        final int qb = QUERY_BLOCK;
        for (int c0 = 0; c0 < queryRows; c0 += ROW_TILE) {
            final int rows = Math.min(ROW_TILE, queryRows - c0), chunk = (c0 / ROW_TILE) * chunkFloats;
            for (int cb = 0; cb < dim; cb += qb) {
                final int from = chunk + (cb / qb) * ROW_TILE * qb;
                if (!FiniteScan.allFinite(queries, from, from + rows * qb)) {
                    return false;
                }
            }
        }
        return true;
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
        attend(kv, KeyTileGate.PACKED, keyFrom, keyTo, diagonal, out, outOffset, lse, lseOffset);
    }

    /**
     * As {@link #attend(PackedKeyValues, int, int, int, float[], int, float[], int)}, asking {@code gate} for each
     * key tile before reading it; returns false, output unfinished, when the gate abandons the call.
     */
    public boolean attend(PackedKeyValues kv, KeyTileGate gate, int keyFrom, int keyTo, int diagonal,
                          float[] out, int outOffset, float[] lse, int lseOffset) {
        if (kv.dim() != dim) {
            throw new IllegalArgumentException("packed keys have head dim " + kv.dim() + ", kernel has " + dim);
        }
        if (keyFrom < 0 || keyTo < keyFrom || keyTo > kv.length()) {
            throw new IllegalArgumentException("key range [" + keyFrom + ", " + keyTo + ") is outside the "
                    + kv.length() + " packed keys");
        }
        final int d = dim, dp = valueStride, tile = KEY_TILE;
        final float[] kT = kv.keysTransposed(), v = kv.values();
        for (int c0 = 0; c0 < queryRows; c0 += ROW_TILE) {
            final int rows = Math.min(ROW_TILE, queryRows - c0);
            final int padded = roundUp(rows, REGISTER_ROWS);
            Arrays.fill(rowMax, 0, padded, Float.NEGATIVE_INFINITY);
            Arrays.fill(laneSum, FlashTiles.BASE, FlashTiles.BASE + padded * VectorWidth.LANES, 0f);
            Arrays.fill(acc, FlashTiles.BASE, FlashTiles.BASE + padded * dp, 0f);
            final long rowLimit = (long) c0 + diagonal;           // row r of the chunk sees keys j <= rowLimit + r
            final long end = Math.min(keyTo, rowLimit + rows);     // exclusive end of the keys any row sees
            for (int t = keyFrom / tile; (long) t * tile < end; t++) {
                if (!gate.await(t)) {
                    return false;
                }
                final int t0 = t * tile;
                // register blocks whose rows all lie above the causal diagonal see nothing of this tile: skip them
                // (scoreTile also skips them per 4-vector key block)
                final long firstSeeing = Math.max(0, Math.max(t0, keyFrom) - rowLimit);
                final int from = (int) (firstSeeing / REGISTER_ROWS) * REGISTER_ROWS;
                FlashTiles.scoreTile(queries, (c0 / ROW_TILE) * chunkFloats, ROW_TILE * QUERY_BLOCK, from, padded,
                        d, kT, PackedKeyValues.BASE + t0 * d, rowLimit - t0, scores, laneMax);
                if (t0 < keyFrom || t0 + tile > keyTo || t0 + tile - 1 > rowLimit + from) {
                    FlashTiles.maskTile(scores, laneMax, from, padded, t0, keyFrom, keyTo, rowLimit);
                }
                FlashTiles.softmaxTile(scores, laneMax, from, padded, rowMax, laneSum, acc, dp);
                FlashTiles.valueTile(scores, from, padded, v, PackedKeyValues.BASE + t0 * dp, dp, rowLimit - t0, acc);
            }
            for (int r = 0; r < rows; r++) {
                double sum = 0;                                   // fixed order: deterministic
                for (int i = FlashTiles.BASE + r * VectorWidth.LANES, e = i + VectorWidth.LANES; i < e; i++) {
                    sum += laneSum[i];
                }
                // sum is 0 only for a row that saw no key; a NaN sum (NonFinitePolicy.PROPAGATE) stays NaN
                final float inv = sum == 0 ? 0f : (float) (1.0 / sum);
                scaleRow(acc, FlashTiles.BASE + r * dp, inv, out, outOffset + (c0 + r) * d, d);
                if (lse != null) {
                    lse[lseOffset + c0 + r] = sum == 0
                            ? Float.NEGATIVE_INFINITY : (float) (rowMax[r] * LN2 + Math.log(sum));
                }
            }
        }
        return true;
    }

    /**
     * {@code out[o..o+d) = acc[a..a+d) · inv}: the per-row epilogue, vectorised (for HyperAttention's 256-key blocks
     * it is not negligible). A method of its own so that its vector code stays compiled when C2 recompiles
     * {@link #attend} (a deoptimised attend would otherwise run it as boxed vectors in the interpreter).
     */
    static void scaleRow(float[] acc, int a, float inv, float[] out, int o, int d) {
        int c = 0;
        for (int bound = FlashTiles.SPECIES.loopBound(d); c < bound; c += VectorWidth.LANES) {
            FloatVector.fromArray(FlashTiles.SPECIES, acc, a + c).mul(inv).intoArray(out, o + c);
        }
        for (; c < d; c++) {
            out[o + c] = acc[a + c] * inv;
        }
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
