package dev.hyperattention4j.kernel;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;

/**
 * The inputs of one exact attention backward call for one (batch, KV head), packed once into the
 * {@link BackwardKernel}'s layouts and then shared read-only by all workers. The head dimension is zero-padded to
 * whole vectors ({@code paddedDim}), keys to whole key tiles and queries to whole query tiles, so the micro-kernels
 * have no tails:
 *
 * <ul>
 *   <li>keys transposed per tile {@code [keyTile][paddedDim][KEY_TILE]} (key index in the SIMD lanes) for the score
 *       tile S = Q·Kᵀ, values transposed the same way for dP = dO·Vᵀ, and keys row-major
 *       {@code [key][paddedDim]} for dQ += dS·K;</li>
 *   <li>per query head of the group, {@code [row][paddedDim]}: queries pre-multiplied by the softmax scale and the
 *       output gradient dO; per row the saved log-sum-exp L and {@code Δ = dO·O − dL}.</li>
 * </ul>
 *
 * Memory is O((nq·g + 3·nk)·d) floats per call, reused across (batch, KV head) pairs: no nq×nk buffer. Padded query
 * rows get {@code L = +∞}, so their probabilities {@code exp(s − L)} are exactly zero; a row that sees no key
 * (saved {@code L = −∞}) is stored the same way.
 */
public final class BackwardInputs {
    final int dim;
    final int paddedDim;
    final int queryLength;
    final int paddedQueryLength;
    final int keyLength;
    final int keyTiles;
    final int groupSize;
    final float[] keysT;
    final float[] valuesT;
    final float[] keyRows;
    final float[] queries;
    final float[] outputGrads;
    final float[] lse;
    final float[] delta;

    public BackwardInputs(int dim, int queryLength, int keyLength, int groupSize) {
        if (dim <= 0 || queryLength <= 0 || keyLength <= 0 || groupSize <= 0) {
            throw new IllegalArgumentException("dim, lengths and group size must be > 0: d=" + dim + ", nq="
                    + queryLength + ", nk=" + keyLength + ", g=" + groupSize);
        }
        int lanes = BackwardKernel.LANES;
        this.dim = dim;
        this.paddedDim = (dim + lanes - 1) / lanes * lanes;
        this.queryLength = queryLength;
        this.keyLength = keyLength;
        this.groupSize = groupSize;
        int bc = BackwardKernel.KEY_TILE, br = BackwardKernel.QUERY_TILE;
        this.keyTiles = (keyLength + bc - 1) / bc;
        this.paddedQueryLength = (queryLength + br - 1) / br * br;
        long keyFloats = (long) keyTiles * bc * paddedDim;
        long queryFloats = (long) groupSize * paddedQueryLength * paddedDim;
        if (keyFloats > Integer.MAX_VALUE - 16 || queryFloats > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("backward buffers for nq=" + queryLength + ", nk=" + keyLength + ", d="
                    + dim + ", group " + groupSize + " exceed one float[]");
        }
        this.keysT = new float[(int) keyFloats];
        this.valuesT = new float[(int) keyFloats];
        this.keyRows = new float[(int) keyFloats];
        this.queries = new float[(int) queryFloats];
        this.outputGrads = new float[(int) queryFloats];
        this.lse = new float[groupSize * paddedQueryLength];
        this.delta = new float[groupSize * paddedQueryLength];
        Arrays.fill(lse, Float.POSITIVE_INFINITY);
    }

    public int keyTiles() {
        return keyTiles;
    }

    public int queryTiles() {
        return paddedQueryLength / BackwardKernel.QUERY_TILE;
    }

    public int groupSize() {
        return groupSize;
    }

    /** Packs keys and values of tile {@code tile} of head {@code [b][kvHead]}; {@code row} is d floats of scratch. */
    public void packKeyTile(FloatTensor key, FloatTensor value, int b, int kvHead, int tile, float[] row) {
        int bc = BackwardKernel.KEY_TILE, dp = paddedDim;
        int j0 = tile * bc, j1 = Math.min(keyLength, j0 + bc);
        int base = tile * dp * bc;
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
     * Packs query rows {@code [from, to)} of query head {@code [b][head]}, the {@code groupIndex}-th head of its KV
     * group: scaled queries, dO, L (−∞ stored as +∞) and Δ = dO·O − dL (dL = 0 when {@code lseGrad} is null).
     * {@code row} is d floats of scratch.
     */
    public void packQueries(FloatTensor query, FloatTensor output, FloatTensor outputGrad, float[] logSumExp,
                            float[] lseGrad, int lseBase, int b, int head, int groupIndex, int from, int to,
                            float scale, float[] row) {
        int dp = paddedDim;
        for (int i = from; i < to; i++) {
            int r = groupIndex * paddedQueryLength + i;
            query.readRow(b, head, i, queries, r * dp);
            for (int c = 0; c < dim; c++) {
                queries[r * dp + c] *= scale;
            }
            outputGrad.readRow(b, head, i, outputGrads, r * dp);
            output.readRow(b, head, i, row, 0);
            double dot = 0;
            for (int c = 0; c < dim; c++) {
                dot += (double) outputGrads[r * dp + c] * row[c];
            }
            float l = logSumExp[lseBase + i];
            lse[r] = l == Float.NEGATIVE_INFINITY ? Float.POSITIVE_INFINITY : l;
            delta[r] = (float) (dot - (lseGrad == null ? 0 : lseGrad[lseBase + i]));
        }
    }
}
