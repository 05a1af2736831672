package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * sortLSH (paper Algorithm 1, docs/DESIGN.md §2.2): r Gaussian hyperplanes W (d×r), shared by Q and K, give each row
 * a bucket {@code Σ_j [x·W[:,j] > 0]·2^j} (fp32, strict test, so a zero row is bucket 0). Buckets are ordered by
 * their position in the Gray sequence G(i) = i ^ (i >> 1) (the inverse Gray code), so buckets adjacent in the order
 * differ in exactly one hyperplane. Rows are then sorted stably by that sort key (a counting sort over 2^r keys).
 *
 * <p>Immutable and thread-safe; the per-row work is a handful of vector FMAs (r·d flop per row), negligible next
 * to the b+m keys each query attends to.
 */
public final class SortLsh {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private final int dim;
    private final int projections;
    private final float[] wT;        // [r][dim] transposed hyperplanes: wT[j·dim + c] = W[c][j]
    private final float[] wLanes;    // [dim][lanes] W with one hyperplane per lane (zero past r), when r <= lanes
    private final int[] sortKeyOfBucket;

    /**
     * @param projection   W as {@code float[d][r]} (row c holds the r hyperplane coefficients of coordinate c)
     * @param grayEncoding compatibility (§6 row 1): key = G(bucket), the reference's quirk, instead of the rank
     */
    public SortLsh(float[][] projection, boolean grayEncoding) {
        if (projection == null || projection.length == 0) {
            throw new IllegalArgumentException("projection must be a non-empty float[d][r]");
        }
        this.dim = projection.length;
        this.projections = projection[0].length;
        if (projections > HyperConfig.MAX_PROJECTIONS) {
            throw new IllegalArgumentException("projection has r = " + projections + " columns; at most "
                    + HyperConfig.MAX_PROJECTIONS + " are supported");
        }
        this.wT = new float[projections * dim];
        for (int c = 0; c < dim; c++) {
            if (projection[c].length != projections) {
                throw new IllegalArgumentException("projection row " + c + " has " + projection[c].length
                        + " entries, row 0 has " + projections + ": expected a rectangular float[d][r]");
            }
            for (int j = 0; j < projections; j++) {
                float w = projection[c][j];
                if (!Float.isFinite(w)) {
                    throw new IllegalArgumentException("projection[" + c + "][" + j + "] = " + w + " is not finite");
                }
                wT[j * dim + c] = w;
            }
        }
        if (projections <= SPECIES.length()) {
            wLanes = new float[dim * SPECIES.length()];
            for (int c = 0; c < dim; c++) {
                System.arraycopy(projection[c], 0, wLanes, c * SPECIES.length(), projections);
            }
        } else {
            wLanes = null;
        }
        this.sortKeyOfBucket = new int[1 << projections];
        for (int bucket = 0; bucket < sortKeyOfBucket.length; bucket++) {
            sortKeyOfBucket[bucket] = grayEncoding ? grayCode(bucket) : grayRank(bucket);
        }
    }

    /**
     * W of shape d×r with N(0,1) entries drawn row-major (W[0][0], W[0][1], ...) from {@code java.util.Random(seed)}
     * ({@code nextGaussian}, whose algorithm the Java specification fixes), so a seed reproduces W on every JVM.
     */
    public static float[][] gaussianProjection(int dim, int projections, long seed) {
        if (dim <= 0 || projections < 0) {
            throw new IllegalArgumentException("projection shape must be d >= 1, r >= 0; got " + dim + "×"
                    + projections);
        }
        Random random = new Random(seed);
        float[][] w = new float[dim][projections];
        for (int c = 0; c < dim; c++) {
            for (int j = 0; j < projections; j++) {
                w[c][j] = (float) random.nextGaussian();
            }
        }
        return w;
    }

    /** G(i) = i ^ (i >> 1): the i-th element of the reflected Gray sequence. */
    public static int grayCode(int i) {
        return i ^ (i >>> 1);
    }

    /** The inverse Gray code: the position of bucket x in the Gray sequence, so {@code grayCode(grayRank(x)) == x}. */
    public static int grayRank(int x) {
        int y = x;
        for (int t = x >>> 1; t != 0; t >>>= 1) {
            y ^= t;
        }
        return y;
    }

    public int dim() { return dim; }

    public int projections() { return projections; }

    /** Number of distinct sort keys, 2^r. */
    public int keyCount() { return sortKeyOfBucket.length; }

    /** The sort key of a bucket id. */
    public int sortKeyOfBucket(int bucket) { return sortKeyOfBucket[bucket]; }

    /** The bucket id {@code Σ_j [x·W[:,j] > 0]·2^j} of {@code x[offset .. offset+d)}. */
    public int bucket(float[] x, int offset) {
        if (wLanes != null) {
            return bucketByLanes(x, offset);
        }
        int bucket = 0;
        int bound = SPECIES.loopBound(dim);
        for (int j = 0; j < projections; j++) {
            int w = j * dim;
            FloatVector acc = FloatVector.zero(SPECIES);
            int c = 0;
            for (; c < bound; c += SPECIES.length()) {
                acc = FloatVector.fromArray(SPECIES, x, offset + c)
                        .fma(FloatVector.fromArray(SPECIES, wT, w + c), acc);
            }
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (; c < dim; c++) {
                dot += x[offset + c] * wT[w + c];
            }
            if (dot > 0f) {
                bucket |= 1 << j;
            }
        }
        return bucket;
    }

    /**
     * All r projections at once, one per vector lane: {@code Σ_c x[c]·W[c][:]} as d broadcast-FMAs on four
     * accumulators (no horizontal reductions); lane j's sign is bit j, read straight from the comparison mask.
     */
    private int bucketByLanes(float[] x, int offset) {
        final int lanes = SPECIES.length();
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + 3 < dim; c += 4) {
            int w = c * lanes;
            a0 = FloatVector.fromArray(SPECIES, wLanes, w).fma(FloatVector.broadcast(SPECIES, x[offset + c]), a0);
            a1 = FloatVector.fromArray(SPECIES, wLanes, w + lanes)
                    .fma(FloatVector.broadcast(SPECIES, x[offset + c + 1]), a1);
            a2 = FloatVector.fromArray(SPECIES, wLanes, w + 2 * lanes)
                    .fma(FloatVector.broadcast(SPECIES, x[offset + c + 2]), a2);
            a3 = FloatVector.fromArray(SPECIES, wLanes, w + 3 * lanes)
                    .fma(FloatVector.broadcast(SPECIES, x[offset + c + 3]), a3);
        }
        for (; c < dim; c++) {
            a0 = FloatVector.fromArray(SPECIES, wLanes, c * lanes).fma(FloatVector.broadcast(SPECIES, x[offset + c]), a0);
        }
        return (int) a0.add(a1).add(a2.add(a3)).compare(VectorOperators.GT, 0f).toLong();
    }

    /**
     * Writes the sort key of rows {@code [from, to)} of head {@code [b][h]} into {@code keys[keyOffset ..]}.
     * {@code row} is caller scratch of at least d floats.
     */
    public void hashRows(FloatTensor x, int b, int h, int from, int to, int[] keys, int keyOffset, float[] row) {
        if (x.dim() != dim) {
            throw new IllegalArgumentException("tensor " + x.shapeString() + " has head dim " + x.dim()
                    + " but the projection has d = " + dim);
        }
        if (projections == 0) {
            java.util.Arrays.fill(keys, keyOffset, keyOffset + (to - from), 0);
            return;
        }
        for (int i = from; i < to; i++) {
            x.readRow(b, h, i, row, 0);
            keys[keyOffset + i - from] = sortKeyOfBucket[bucket(row, 0)];
        }
    }

    /**
     * Stable counting sort of {@code n} keys in {@code [0, keyCount)}: afterwards {@code perm[permOffset + p]} is the
     * local index (0..n-1) of the row at sorted position p, ties in their original order. {@code counts} is
     * scratch of at least keyCount + 1 ints.
     */
    public static void stableSort(int[] keys, int keyOffset, int n, int keyCount, int[] perm, int permOffset,
                                  int[] counts) {
        java.util.Arrays.fill(counts, 0, keyCount + 1, 0);
        for (int i = 0; i < n; i++) {
            counts[keys[keyOffset + i] + 1]++;
        }
        for (int k = 0; k < keyCount; k++) {
            counts[k + 1] += counts[k];
        }
        for (int i = 0; i < n; i++) {
            perm[permOffset + counts[keys[keyOffset + i]]++] = i;
        }
    }
}
