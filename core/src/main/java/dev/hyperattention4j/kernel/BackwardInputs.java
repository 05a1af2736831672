package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Backward.CHUNK_ROWS;
import static dev.hyperattention4j.kernel.TileSizes.Backward.KEY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Backward.QUERY_TILE;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;

/**
 * The packed inputs and accumulators of one exact attention backward problem, shared read-only (inputs) or by owner
 * (accumulators) among the workers running {@link BackwardKernel}. A problem is nq query rows against nk keys of one
 * (batch, head); the rows may be a contiguous range or gathered through an index array (HyperAttention's sorted
 * blocks and samples), and a buffer sized for a capacity can be reused for smaller problems ({@link #reset}).
 * The head dimension is zero-padded to whole vectors ({@code paddedDim}), keys to whole key tiles and queries to
 * whole query tiles, so the micro-kernels have no tails:
 *
 * <ul>
 *   <li>keys transposed per tile {@code [keyTile][paddedDim][KEY_TILE]} (key index in the SIMD lanes) for
 *       S = Q·Kᵀ, values transposed the same way for dP = dO·Vᵀ, keys row-major {@code [key][paddedDim]} for
 *       dQ += dS·K, and the dK, dV accumulators {@code [key][paddedDim]};</li>
 *   <li>queries pre-multiplied by the softmax scale and dO, {@code [row][paddedDim]}; per row the log-sum-exp L of
 *       the row's softmax and {@code Δ = dO·O − dL};</li>
 *   <li>the per-chunk dQ partials of one block of query rows, {@code [chunk][row][paddedDim]}.</li>
 * </ul>
 *
 * Memory is O((nq + 5·nk)·d + chunks·min(nq, CHUNK_ROWS)·d) floats: no nq×nk buffer. Padding query rows get
 * {@code L = +∞} and dO = 0, so their probabilities vanish and they contribute nothing; so does a row that sees no
 * key (saved {@code L = −∞}), whose keys are all masked anyway.
 */
public final class BackwardInputs {

    final int dim;
    final int paddedDim;
    int queryLength;
    int keyLength;
    final float[] keysT;
    final float[] valuesT;
    final float[] keyRows;
    final float[] keyGrads;
    final float[] valueGrads;
    final float[] queries;
    final float[] outputGrads;
    final float[] lse;
    final float[] delta;
    final float[] partials;
    private final int chunks;
    private final int queryCapacity;
    private final int keyCapacity;
    private final int chunkFloats;   // one chunk's partials: min(CHUNK_ROWS, padded capacity) rows × paddedDim

    public BackwardInputs(int dim, int queryCapacity, int keyCapacity, int chunks) {
        if (dim <= 0 || queryCapacity <= 0 || keyCapacity <= 0 || chunks <= 0) {
            throw new IllegalArgumentException("dim, capacities and chunks must be > 0: d=" + dim + ", nq="
                    + queryCapacity + ", nk=" + keyCapacity + ", chunks=" + chunks);
        }
        int lanes = BackwardKernel.LANES;
        this.dim = dim;
        this.paddedDim = (dim + lanes - 1) / lanes * lanes;
        this.chunks = chunks;
        int bc = KEY_BLOCK, br = QUERY_TILE;
        this.queryCapacity = (queryCapacity + br - 1) / br * br;
        this.keyCapacity = (keyCapacity + bc - 1) / bc * bc;
        long keyFloats = (long) this.keyCapacity * paddedDim;
        long queryFloats = (long) this.queryCapacity * paddedDim;
        long partialFloats = (long) chunks * Math.min(CHUNK_ROWS, this.queryCapacity) * paddedDim;
        if (keyFloats > Integer.MAX_VALUE - 16 || queryFloats > Integer.MAX_VALUE - 16
                || partialFloats > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("backward buffers for nq=" + queryCapacity + ", nk=" + keyCapacity
                    + ", d=" + dim + " exceed one float[]");
        }
        this.keysT = new float[(int) keyFloats];
        this.valuesT = new float[(int) keyFloats];
        this.keyRows = new float[(int) keyFloats];
        this.keyGrads = new float[(int) keyFloats];
        this.valueGrads = new float[(int) keyFloats];
        this.queries = new float[(int) queryFloats];
        this.outputGrads = new float[(int) queryFloats];
        this.lse = new float[this.queryCapacity];
        this.delta = new float[this.queryCapacity];
        this.partials = new float[(int) partialFloats];
        this.chunkFloats = (int) (partialFloats / chunks);
        Arrays.fill(lse, Float.POSITIVE_INFINITY);
        this.queryLength = queryCapacity;
        this.keyLength = keyCapacity;
    }

    /**
     * Sets the problem size for the next packing (at most the capacities). Query rows from nq to the end of their
     * tile become padding; packed data of earlier problems beyond the new lengths is otherwise ignored.
     */
    public void reset(int nq, int nk) {
        if (nq <= 0 || nk <= 0 || nq > queryCapacity || nk > keyCapacity) {
            throw new IllegalArgumentException("problem nq=" + nq + ", nk=" + nk + " exceeds the capacity "
                    + queryCapacity + " × " + keyCapacity);
        }
        queryLength = nq;
        keyLength = nk;
        int end = Math.min(queryCapacity, (nq + QUERY_TILE - 1) / QUERY_TILE
                * QUERY_TILE);
        for (int i = nq; i < end; i++) {
            padQueryRow(i);
        }
    }

    public int keyTiles() {
        return (keyLength + KEY_BLOCK - 1) / KEY_BLOCK;
    }

    public int queryTiles() {
        return (queryLength + QUERY_TILE - 1) / QUERY_TILE;
    }

    public int queryCapacity() {
        return queryCapacity;
    }

    public int keyCapacity() {
        return keyCapacity;
    }

    public int chunks() {
        return chunks;
    }

    public int paddedDim() {
        return paddedDim;
    }

    /** Floats of the dQ partial of one query tile within its chunk's block: {@code QUERY_TILE · paddedDim}. */
    int tileFloats() {
        return QUERY_TILE * paddedDim;
    }

    /**
     * Packs keys and values of tile {@code tile} of head {@code [b][kvHead]} and zeroes the tile's dK and dV
     * accumulators. Packed key j is tensor row {@code rows[rowBase + j]}, or {@code rowBase + j} when rows is null;
     * a negative index packs a zero key. {@code row} is d floats of scratch.
     */
    public void packKeyTile(FloatTensor key, FloatTensor value, int b, int kvHead, int[] rows, int rowBase, int tile,
                            float[] row) {
        int bc = KEY_BLOCK, dp = paddedDim;
        int j0 = tile * bc, j1 = Math.min(keyLength, j0 + bc);
        int base = tile * dp * bc;
        Arrays.fill(keyGrads, base, base + dp * bc, 0f);
        Arrays.fill(valueGrads, base, base + dp * bc, 0f);
        for (int j = j0; j < j1; j++) {
            int src = rows == null ? rowBase + j : rows[rowBase + j];
            if (src < 0) {
                Arrays.fill(keyRows, j * dp, j * dp + dim, 0f);
                Arrays.fill(row, 0, dim, 0f);
            } else {
                key.readRow(b, kvHead, src, keyRows, j * dp);
                value.readRow(b, kvHead, src, row, 0);
            }
            for (int c = 0; c < dim; c++) {
                keysT[base + c * bc + (j - j0)] = keyRows[j * dp + c];
                valuesT[base + c * bc + (j - j0)] = row[c];
            }
        }
    }

    /**
     * Packs query rows {@code [from, to)} of the problem, from query head {@code [b][head]}: packed row i is tensor
     * row {@code rows[rowBase + i]}, or {@code rowBase + i} when rows is null; a negative index makes a padding row.
     * For tensor row t the row's L is {@code lseOf[statBase + t] − lseShift} (−∞ is stored as +∞) and its Δ is
     * {@code deltaOf[statBase + t]}; queries are multiplied by {@code scale}.
     */
    public void packQueries(FloatTensor query, FloatTensor outputGrad, float[] lseOf, float[] deltaOf, int statBase,
                            float lseShift, int b, int head, int[] rows, int rowBase, int from, int to, float scale) {
        int dp = paddedDim;
        for (int i = from; i < to; i++) {
            int src = rows == null ? rowBase + i : rows[rowBase + i];
            if (src < 0) {
                padQueryRow(i);
                continue;
            }
            query.readRow(b, head, src, queries, i * dp);
            for (int c = 0; c < dim; c++) {
                queries[i * dp + c] *= scale;
            }
            outputGrad.readRow(b, head, src, outputGrads, i * dp);
            float l = lseOf[statBase + src];
            lse[i] = l == Float.NEGATIVE_INFINITY ? Float.POSITIVE_INFINITY : l - lseShift;
            delta[i] = deltaOf[statBase + src];
        }
    }

    private void padQueryRow(int i) {
        int dp = paddedDim;
        Arrays.fill(queries, i * dp, (i + 1) * dp, 0f);
        Arrays.fill(outputGrads, i * dp, (i + 1) * dp, 0f);
        lse[i] = Float.POSITIVE_INFINITY;
        delta[i] = 0f;
    }

    /**
     * Runs {@code kernel} for chunk {@code chunk} over query tiles {@code [tileFrom, tileTo)} (one block of at most
     * {@link TileSizes.Backward#CHUNK_ROWS} rows), storing the chunk's dQ partials.
     */
    public void runChunk(BackwardKernel kernel, int chunk, int tileFrom, int tileTo, boolean causal) {
        for (int t = tileFrom; t < tileTo; t++) {
            kernel.queryTile(this, t, chunk, chunks, causal, partials, chunk * chunkFloats + (t - tileFrom) * tileFloats());
        }
    }

    /**
     * Adds scale · Σ_chunk partial (summed in chunk order) of query tile {@code tile} (within the block starting at
     * tile {@code tileFrom}) to rows {@code rowBase + i} of {@code [b][head]}; {@code row} and {@code add} are
     * paddedDim floats of scratch.
     */
    public void addQueryTile(int tileFrom, int tile, float scale, FloatTensor queryGrad, int b, int head, int rowBase,
                             float[] row, float[] add) {
        int dp = paddedDim, q0 = tile * QUERY_TILE;
        int rows = Math.min(QUERY_TILE, queryLength - q0);
        int base = (tile - tileFrom) * tileFloats();
        for (int r = 0; r < rows; r++) {
            Arrays.fill(row, 0f);
            for (int c = 0; c < chunks; c++) {
                int p = c * chunkFloats + base + r * dp;
                for (int k = 0; k < dp; k++) {
                    row[k] += partials[p + k];
                }
            }
            queryGrad.readRow(b, head, rowBase + q0 + r, add, 0);
            for (int k = 0; k < dim; k++) {
                add[k] += row[k] * scale;
            }
            queryGrad.writeRow(b, head, rowBase + q0 + r, add, 0);
        }
    }

    /** dQ/scale of packed query row i, as left by a single-chunk run over one block: {@code partials[i·paddedDim ..]}. */
    public float[] partials() {
        return partials;
    }

    /** The dK accumulators {@code [key][paddedDim]} of the packed keys. */
    public float[] keyGradients() {
        return keyGrads;
    }

    /** The dV accumulators {@code [key][paddedDim]} of the packed keys. */
    public float[] valueGradients() {
        return valueGrads;
    }

    /** Adds the accumulated dK and dV of key tile {@code tile} to rows {@code rowBase + j} of {@code [b][kvHead]}. */
    public void addKeyTile(int tile, FloatTensor keyGrad, FloatTensor valueGrad, int b, int kvHead, int rowBase,
                           float[] add) {
        int bc = KEY_BLOCK, dp = paddedDim;
        int j0 = tile * bc, j1 = Math.min(keyLength, j0 + bc);
        for (int j = j0; j < j1; j++) {
            addRow(keyGrad, b, kvHead, rowBase + j, keyGrads, j * dp, add);
            addRow(valueGrad, b, kvHead, rowBase + j, valueGrads, j * dp, add);
        }
    }

    private void addRow(FloatTensor t, int b, int h, int i, float[] src, int off, float[] add) {
        t.readRow(b, h, i, add, 0);
        for (int k = 0; k < dim; k++) {
            add[k] += src[off + k];
        }
        t.writeRow(b, h, i, add, 0);
    }
}
