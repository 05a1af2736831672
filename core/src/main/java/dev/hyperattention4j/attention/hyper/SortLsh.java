package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.kernel.FiniteScan;
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

    /** Rows {@link #hashRows} hashes together: their projections share the loads of W and fill the FMA pipes. */
    static final int HASH_GROUP = 4;

    /** Floats of scratch {@link #hashRows} uses when its caller gives it that much: a group of rows. */
    public int hashScratchLength() {
        return HASH_GROUP * dim;
    }

    /**
     * Writes the sort key of rows {@code [from, to)} of head {@code [b][h]} into {@code keys[keyOffset ..]} and
     * returns whether every element of those rows is finite (a check on rows already in cache, so that callers
     * validate their input without a separate pass over it). {@code row} is caller scratch of at least d floats
     * ({@link #hashScratchLength()} lets it hash rows in groups, with the same result).
     */
    public boolean hashRows(FloatTensor x, int b, int h, int from, int to, int[] keys, int keyOffset, float[] row) {
        if (x.dim() != dim) {
            throw new IllegalArgumentException("tensor " + x.shapeString() + " has head dim " + x.dim()
                    + " but the projection has d = " + dim);
        }
        if (projections == 0) {
            java.util.Arrays.fill(keys, keyOffset, keyOffset + (to - from), 0);
            boolean finite = true;
            for (int i = from; i < to; i++) {
                x.readRow(b, h, i, row, 0);
                finite &= FiniteScan.allFinite(row, 0, dim);
            }
            return finite;
        }
        // rows in groups of HASH_GROUP where the lane layout and the scratch allow it, the rest one by one
        int group = wLanes != null && projections <= 8 && row.length >= HASH_GROUP * dim ? HASH_GROUP : 1;
        boolean finite = true;
        for (int i = from; i < to; ) {
            int n = to - i >= group ? group : 1;
            x.readRows(b, h, i, n, row, 0);
            finite &= FiniteScan.allFinite(row, 0, n * dim);
            sortKeys(row, n, keys, keyOffset + i - from);
            i += n;
        }
        return finite;
    }

    /** The sort keys of {@code n} rows of {@code rows} (1, or {@link #HASH_GROUP} hashed together) into keys[at..]. */
    private void sortKeys(float[] rows, int n, int[] keys, int at) {
        if (n == HASH_GROUP) {
            int buckets = bucketsOfFour(rows);
            for (int g = 0; g < HASH_GROUP; g++) {
                keys[at + g] = sortKeyOfBucket[(buckets >>> (8 * g)) & 0xff];
            }
        } else {
            keys[at] = sortKeyOfBucket[bucket(rows, 0)];
        }
    }

    /**
     * {@link #bucketByLanes} of four consecutive rows of {@code x} (d floats apart) at once, bucket g in bits
     * {@code 8g .. 8g+7}: each row is summed exactly as {@link #bucketByLanes} sums it (same accumulators, same
     * order), so the buckets are the same; the four rows share each load of W and give the FMA units 16 independent
     * chains instead of 4.
     */
    private int bucketsOfFour(float[] x) {
        final int lanes = SPECIES.length(), d = dim;
        final int x0 = 0, x1 = d, x2 = 2 * d, x3 = 3 * d;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        FloatVector e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        int c = 0;
        for (; c + 3 < d; c += 4) {
            final int w = c * lanes;
            FloatVector w0 = FloatVector.fromArray(SPECIES, wLanes, w);
            FloatVector w1 = FloatVector.fromArray(SPECIES, wLanes, w + lanes);
            FloatVector w2 = FloatVector.fromArray(SPECIES, wLanes, w + 2 * lanes);
            FloatVector w3 = FloatVector.fromArray(SPECIES, wLanes, w + 3 * lanes);
            a0 = w0.fma(FloatVector.broadcast(SPECIES, x[x0 + c]), a0);
            a1 = w1.fma(FloatVector.broadcast(SPECIES, x[x0 + c + 1]), a1);
            a2 = w2.fma(FloatVector.broadcast(SPECIES, x[x0 + c + 2]), a2);
            a3 = w3.fma(FloatVector.broadcast(SPECIES, x[x0 + c + 3]), a3);
            b0 = w0.fma(FloatVector.broadcast(SPECIES, x[x1 + c]), b0);
            b1 = w1.fma(FloatVector.broadcast(SPECIES, x[x1 + c + 1]), b1);
            b2 = w2.fma(FloatVector.broadcast(SPECIES, x[x1 + c + 2]), b2);
            b3 = w3.fma(FloatVector.broadcast(SPECIES, x[x1 + c + 3]), b3);
            c0 = w0.fma(FloatVector.broadcast(SPECIES, x[x2 + c]), c0);
            c1 = w1.fma(FloatVector.broadcast(SPECIES, x[x2 + c + 1]), c1);
            c2 = w2.fma(FloatVector.broadcast(SPECIES, x[x2 + c + 2]), c2);
            c3 = w3.fma(FloatVector.broadcast(SPECIES, x[x2 + c + 3]), c3);
            e0 = w0.fma(FloatVector.broadcast(SPECIES, x[x3 + c]), e0);
            e1 = w1.fma(FloatVector.broadcast(SPECIES, x[x3 + c + 1]), e1);
            e2 = w2.fma(FloatVector.broadcast(SPECIES, x[x3 + c + 2]), e2);
            e3 = w3.fma(FloatVector.broadcast(SPECIES, x[x3 + c + 3]), e3);
        }
        for (; c < d; c++) {
            FloatVector w0 = FloatVector.fromArray(SPECIES, wLanes, c * lanes);
            a0 = w0.fma(FloatVector.broadcast(SPECIES, x[x0 + c]), a0);
            b0 = w0.fma(FloatVector.broadcast(SPECIES, x[x1 + c]), b0);
            c0 = w0.fma(FloatVector.broadcast(SPECIES, x[x2 + c]), c0);
            e0 = w0.fma(FloatVector.broadcast(SPECIES, x[x3 + c]), e0);
        }
        long m0 = a0.add(a1).add(a2.add(a3)).compare(VectorOperators.GT, 0f).toLong();
        long m1 = b0.add(b1).add(b2.add(b3)).compare(VectorOperators.GT, 0f).toLong();
        long m2 = c0.add(c1).add(c2.add(c3)).compare(VectorOperators.GT, 0f).toLong();
        long m3 = e0.add(e1).add(e2.add(e3)).compare(VectorOperators.GT, 0f).toLong();
        return (int) (m0 | m1 << 8 | m2 << 16 | m3 << 24);
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
