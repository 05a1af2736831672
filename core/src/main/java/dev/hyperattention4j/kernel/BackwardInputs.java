package dev.hyperattention4j.kernel;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;

/**
 * The packed inputs and accumulators of one exact attention backward call, shared read-only (inputs) or by owner
 * (accumulators) among the workers running {@link BackwardKernel}. The head dimension is zero-padded to whole
 * vectors ({@code paddedDim}), keys to whole key tiles and queries to whole query tiles, so the micro-kernels have no
 * tails:
 *
 * <ul>
 *   <li>per (batch, KV head): keys transposed per tile {@code [keyTile][paddedDim][KEY_TILE]} (key index in the
 *       SIMD lanes) for S = Q·Kᵀ, values transposed the same way for dP = dO·Vᵀ, keys row-major
 *       {@code [key][paddedDim]} for dQ += dS·K, and the dK, dV accumulators {@code [keyTile][KEY_TILE][paddedDim]},
 *       summed over the query heads of the GQA group;</li>
 *   <li>per query head: queries pre-multiplied by the softmax scale and dO, {@code [row][paddedDim]}; per row the
 *       saved log-sum-exp L and {@code Δ = dO·O − dL};</li>
 *   <li>the per-chunk dQ partials of one block of query rows, {@code [chunk][row][paddedDim]}.</li>
 * </ul>
 *
 * Memory is O((nq + 5·nk)·d + chunks·ROW_BLOCK·d) floats, reused across heads: no nq×nk buffer. Padded query rows
 * get {@code L = +∞}, so their probabilities {@code exp(s − L)} vanish; so does a row that sees no key (saved
 * {@code L = −∞}), whose keys are all masked anyway.
 */
public final class BackwardInputs {
    /** Query rows whose dQ partials are held at once; bounds the partial buffers to chunks × 8192 × d floats. */
    public static final int ROW_BLOCK = 8192;

    final int dim;
    final int paddedDim;
    final int queryLength;
    final int keyLength;
    final int keyTiles;
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
    private final int chunkFloats;   // one chunk's partials: min(ROW_BLOCK, padded nq) rows × paddedDim

    public BackwardInputs(int dim, int queryLength, int keyLength, int chunks) {
        if (dim <= 0 || queryLength <= 0 || keyLength <= 0 || chunks <= 0) {
            throw new IllegalArgumentException("dim, lengths and chunks must be > 0: d=" + dim + ", nq="
                    + queryLength + ", nk=" + keyLength + ", chunks=" + chunks);
        }
        int lanes = BackwardKernel.LANES;
        this.dim = dim;
        this.paddedDim = (dim + lanes - 1) / lanes * lanes;
        this.queryLength = queryLength;
        this.keyLength = keyLength;
        this.chunks = chunks;
        int bc = BackwardKernel.KEY_TILE, br = BackwardKernel.QUERY_TILE;
        this.keyTiles = (keyLength + bc - 1) / bc;
        int paddedQueryLength = (queryLength + br - 1) / br * br;
        long keyFloats = (long) keyTiles * bc * paddedDim;
        long queryFloats = (long) paddedQueryLength * paddedDim;
        long partialFloats = (long) chunks * Math.min(ROW_BLOCK, paddedQueryLength) * paddedDim;
        if (keyFloats > Integer.MAX_VALUE - 16 || queryFloats > Integer.MAX_VALUE - 16
                || partialFloats > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("backward buffers for nq=" + queryLength + ", nk=" + keyLength + ", d="
                    + dim + " exceed one float[]");
        }
        this.keysT = new float[(int) keyFloats];
        this.valuesT = new float[(int) keyFloats];
        this.keyRows = new float[(int) keyFloats];
        this.keyGrads = new float[(int) keyFloats];
        this.valueGrads = new float[(int) keyFloats];
        this.queries = new float[(int) queryFloats];
        this.outputGrads = new float[(int) queryFloats];
        this.lse = new float[paddedQueryLength];
        this.delta = new float[paddedQueryLength];
        this.partials = new float[(int) partialFloats];
        this.chunkFloats = (int) (partialFloats / chunks);
        Arrays.fill(lse, Float.POSITIVE_INFINITY);
    }

    public int keyTiles() {
        return keyTiles;
    }

    public int queryTiles() {
        return (queryLength + BackwardKernel.QUERY_TILE - 1) / BackwardKernel.QUERY_TILE;
    }

    public int chunks() {
        return chunks;
    }

    /** Floats of the dQ partial of one query tile within its chunk's block: {@code QUERY_TILE · paddedDim}. */
    int tileFloats() {
        return BackwardKernel.QUERY_TILE * paddedDim;
    }

    /**
     * Packs keys and values of tile {@code tile} of head {@code [b][kvHead]} and zeroes the tile's dK and dV
     * accumulators; {@code row} is d floats of scratch.
     */
    public void packKeyTile(FloatTensor key, FloatTensor value, int b, int kvHead, int tile, float[] row) {
        int bc = BackwardKernel.KEY_TILE, dp = paddedDim;
        int j0 = tile * bc, j1 = Math.min(keyLength, j0 + bc);
        int base = tile * dp * bc;
        Arrays.fill(keyGrads, base, base + dp * bc, 0f);
        Arrays.fill(valueGrads, base, base + dp * bc, 0f);
        for (int j = j0; j < j1; j++) {
            key.readRow(b, kvHead, j, keyRows, j * dp);
            for (int c = 0; c < dim; c++) {
                keysT[base + c * bc + (j - j0)] = keyRows[j * dp + c];
            }
            value.readRow(b, kvHead, j, row, 0);
            for (int c = 0; c < dim; c++) {
                valuesT[base + c * bc + (j - j0)] = row[c];
            }
        }
    }

    /**
     * Packs query rows {@code [from, to)} of query head {@code [b][head]}: scaled queries, dO, L (−∞ stored as +∞)
     * and Δ = dO·O − dL (dL = 0 when {@code lseGrad} is null); {@code lseBase} is the head's first index in the
     * log-sum-exp arrays and {@code row} is d floats of scratch.
     */
    public void packQueries(FloatTensor query, FloatTensor output, FloatTensor outputGrad, float[] logSumExp,
                            float[] lseGrad, int lseBase, int b, int head, int from, int to, float scale, float[] row) {
        int dp = paddedDim;
        for (int i = from; i < to; i++) {
            query.readRow(b, head, i, queries, i * dp);
            for (int c = 0; c < dim; c++) {
                queries[i * dp + c] *= scale;
            }
            outputGrad.readRow(b, head, i, outputGrads, i * dp);
            output.readRow(b, head, i, row, 0);
            double dot = 0;
            for (int c = 0; c < dim; c++) {
                dot += (double) outputGrads[i * dp + c] * row[c];
            }
            float l = logSumExp[lseBase + i];
            lse[i] = l == Float.NEGATIVE_INFINITY ? Float.POSITIVE_INFINITY : l;
            delta[i] = (float) (dot - (lseGrad == null ? 0 : lseGrad[lseBase + i]));
        }
    }

    /**
     * Runs {@code kernel} for chunk {@code chunk} over query tiles {@code [tileFrom, tileTo)} of the packed head
     * (one block of at most {@link #ROW_BLOCK} rows), storing the chunk's dQ partials.
     */
    public void runChunk(BackwardKernel kernel, int chunk, int tileFrom, int tileTo, boolean causal) {
        int perChunk = chunkFloats;
        for (int t = tileFrom; t < tileTo; t++) {
            kernel.queryTile(this, t, chunk, chunks, causal, partials, chunk * perChunk + (t - tileFrom) * tileFloats());
        }
    }

    /**
     * dQ of query tile {@code tile} (within the block starting at tile {@code tileFrom}) = scale · Σ_chunk partial,
     * summed in chunk order, written to rows of {@code [b][head]}; {@code row} is paddedDim floats of scratch.
     */
    public void reduceQueryTile(int tileFrom, int tile, float scale, FloatTensor queryGrad, int b, int head,
                                float[] row) {
        int dp = paddedDim, q0 = tile * BackwardKernel.QUERY_TILE;
        int rows = Math.min(BackwardKernel.QUERY_TILE, queryLength - q0);
        int perChunk = chunkFloats;
        int base = (tile - tileFrom) * tileFloats();
        for (int r = 0; r < rows; r++) {
            Arrays.fill(row, 0f);
            for (int c = 0; c < chunks; c++) {
                int p = c * perChunk + base + r * dp;
                for (int k = 0; k < dp; k++) {
                    row[k] += partials[p + k];
                }
            }
            for (int k = 0; k < dp; k++) {
                row[k] *= scale;
            }
            queryGrad.writeRow(b, head, q0 + r, row, 0);
        }
    }

    /** Writes the accumulated dK and dV of key tile {@code tile} to rows of {@code [b][kvHead]}. */
    public void writeKeyTile(int tile, FloatTensor keyGrad, FloatTensor valueGrad, int b, int kvHead) {
        int bc = BackwardKernel.KEY_TILE, dp = paddedDim;
        int j0 = tile * bc, j1 = Math.min(keyLength, j0 + bc);
        for (int j = j0; j < j1; j++) {
            keyGrad.writeRow(b, kvHead, j, keyGrads, j * dp);
            valueGrad.writeRow(b, kvHead, j, valueGrads, j * dp);
        }
    }
}
