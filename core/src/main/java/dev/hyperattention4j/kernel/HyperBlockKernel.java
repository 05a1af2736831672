package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_TILE;
import static dev.hyperattention4j.kernel.TileSizes.Flash.QUERY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.REGISTER_ROWS;
import static dev.hyperattention4j.kernel.TileSizes.Flash.ROW_TILE;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * HyperAttention's block-diagonal and sampled parts for one query block (up to {@link TileSizes.Flash#ROW_TILE}
 * rows of the sorted order) in one pass over the packed keys, with their log-sum-exp merge in the epilogue
 * (docs/DESIGN.md §2.3-2.4, docs/KERNEL.md). The tiles are {@link FlashTiles}' phases; the differences from
 * {@link FlashKernel} are what the two parts share:
 * <ul>
 *   <li>the block part and the sample part keep separate online-softmax states (running max, lane sums, output
 *   accumulator), because the sample keys carry the weight n_k/m; the epilogue merges the two states, and optionally
 *   a prior result (O, L) per row (the causal recursion's diagonal part), exactly by log-sum-exp, so no part is
 *   normalised, written and read back on its own;</li>
 *   <li>the samples a query block owns (a run of the per-head sample pack, sorted by position) are masked in place
 *   ({@link #samplePart}'s hole) instead of being dropped by copying the pack.</li>
 * </ul>
 * Protocol per query block: {@link #packQueries}, then {@link #blockPart} (once), {@link #samplePart} (at most once)
 * and {@link #finish}; the caller times each step as its own phase. One instance per worker; a warm instance
 * allocates nothing. Scratch: scores {@code ROW_TILE × KEY_TILE} floats and two output accumulators of
 * {@code ROW_TILE × dp}.
 */
public final class HyperBlockKernel {
    private static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    private static final int LANES = VectorWidth.LANES;
    private static final int BASE = FlashTiles.BASE;
    private static final double LN2 = FlashKernel.LN2;
    /** Packed queries start on a cache line (a multiple of 16 floats, as every score and value tile). */
    private static final int Q_BASE = ArrayAlignment.FLOAT_OFFSET;
    /** 0, 1, ..., KEY_TILE - 1: lane positions for the mask compares. */
    private static final float[] LANE_INDEX = new float[KEY_TILE];

    static {
        for (int i = 0; i < KEY_TILE; i++) {
            LANE_INDEX[i] = i;
        }
    }

    private final int dim;
    private final int valueStride;
    private final int queryFloats;
    private final float[] queries;
    private final float[] row;
    private int rows;
    private int padded;
    private final float[][] scores = FlashTiles.scoreBlocks(ROW_TILE);
    private final float[] laneMax = new float[BASE + ROW_TILE * LANES];
    /** State of the block part (1) and of the sample part (2): running max (log2), lane sums, accumulator. */
    private final float[] max1 = new float[ROW_TILE], max2 = new float[ROW_TILE];
    private final float[] laneSum1 = new float[BASE + ROW_TILE * LANES], laneSum2 = new float[BASE + ROW_TILE * LANES];
    private final float[] acc1, acc2;
    private boolean sampled;

    public HyperBlockKernel(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("head dim must be > 0, got " + dim);
        }
        this.dim = dim;
        this.valueStride = PackedKeyValues.valueStride(dim);
        this.acc1 = new float[BASE + ROW_TILE * valueStride];
        this.acc2 = new float[BASE + ROW_TILE * valueStride];
        this.queryFloats = (dim + QUERY_BLOCK - 1) / QUERY_BLOCK * ROW_TILE * QUERY_BLOCK;
        this.queries = new float[Q_BASE + queryFloats];
        this.row = new float[dim];
    }

    public int dim() {
        return dim;
    }

    /** The most query rows one block call takes. */
    public static int maxRows() {
        return ROW_TILE;
    }

    /**
     * Gathers query rows {@code rows[from..to)} of head {@code [b][h]} (at most {@link #maxRows()}), scaled by
     * {@code scale·log2(e)}, into the layout {@link FlashTiles#scoreTile} reads, and resets both parts' states.
     */
    public void packQueries(FloatTensor query, int b, int h, int[] rowIndex, int from, int to, float scale) {
        if (query.dim() != dim) {
            throw new IllegalArgumentException("query " + query.shapeString() + " must have head dim " + dim);
        }
        final int n = to - from;
        if (from < 0 || n < 0 || n > ROW_TILE) {
            throw new IllegalArgumentException("query row range [" + from + ", " + to + ") must hold 0.."
                    + ROW_TILE + " rows");
        }
        final int d = dim, qb = QUERY_BLOCK, blockStride = ROW_TILE * qb;
        final float s = scale * FlashKernel.LOG2E;
        final float[] src = query.rowArray();
        for (int i = 0; i < n; i++) {
            final int at = Q_BASE + i * qb;
            if (src != null) {
                // scaled straight from the tensor's array, a vector at a time (a row copy, then scaling it in
                // place, took three times as long)
                final int from0 = query.arrayIndex(b, h, rowIndex[from + i]);
                for (int cb = 0; cb < d; cb += qb) {
                    scaledCopy(src, from0 + cb, queries, at + (cb / qb) * blockStride, Math.min(qb, d - cb), s);
                }
            } else if (d == qb) {
                // one column block: the packed row is the tensor row, scaled in place
                query.readRow(b, h, rowIndex[from + i], queries, at);
                for (int c = at; c < at + d; c++) {
                    queries[c] *= s;
                }
            } else {
                query.readRow(b, h, rowIndex[from + i], row, 0);
                for (int c = 0; c < d; c++) {
                    queries[at + (c / qb) * blockStride + c % qb] = row[c] * s;
                }
            }
        }
        this.rows = n;
        this.padded = FlashKernel.roundUp(n, REGISTER_ROWS);
        // zero rows pad the last register block; their results are computed and dropped
        for (int i = n; i < padded; i++) {
            for (int cb = 0; cb < d; cb += qb) {
                final int at = Q_BASE + (cb / qb) * blockStride + i * qb;
                Arrays.fill(queries, at, at + qb, 0f);
            }
        }
        reset(max1, laneSum1, acc1);
        reset(max2, laneSum2, acc2);
        sampled = false;
    }

    /** {@code dst[to + c] = src[from + c]·s} for c in {@code [0, n)}: the same products as a scalar loop. */
    private static void scaledCopy(float[] src, int from, float[] dst, int to, int n, float s) {
        final int bound = SPECIES.loopBound(n);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector.fromArray(SPECIES, src, from + c).mul(s).intoArray(dst, to + c);
        }
        for (; c < n; c++) {
            dst[to + c] = src[from + c] * s;
        }
    }

    private void reset(float[] max, float[] laneSum, float[] acc) {
        Arrays.fill(max, 0, padded, Float.NEGATIVE_INFINITY);
        Arrays.fill(laneSum, BASE, BASE + padded * LANES, 0f);
        Arrays.fill(acc, BASE, BASE + padded * valueStride, 0f);
    }

    /** The block part: every packed query over packed keys {@code [0, keys)} of {@code kv}. */
    public void blockPart(PackedKeyValues kv, int keys) {
        attend(kv, keys, 0, 0, max1, laneSum1, acc1);
    }

    /**
     * The sample part: every packed query over packed keys {@code [0, keys)} of {@code kv} except the hole
     * {@code [holeFrom, holeTo)} (the samples in the query block's own key block); their weight is applied in
     * {@link #finish}.
     */
    public void samplePart(PackedKeyValues kv, int keys, int holeFrom, int holeTo) {
        if (holeFrom < 0 || holeTo < holeFrom || holeTo > keys) {
            throw new IllegalArgumentException("hole [" + holeFrom + ", " + holeTo + ") is outside [0, " + keys + ")");
        }
        attend(kv, keys, holeFrom, holeTo, max2, laneSum2, acc2);
        sampled = true;
    }

    private void attend(PackedKeyValues kv, int keys, int holeFrom, int holeTo, float[] max, float[] laneSum,
                        float[] acc) {
        if (kv.dim() != dim) {
            throw new IllegalArgumentException("packed keys have head dim " + kv.dim() + ", kernel has " + dim);
        }
        if (keys < 0 || keys > kv.length()) {
            throw new IllegalArgumentException(keys + " keys requested of " + kv.length() + " packed");
        }
        final int d = dim, dp = valueStride, tile = KEY_TILE;
        final float[] kT = kv.keysTransposed(), v = kv.values();
        final long all = FlashKernel.NO_MASK;
        for (int t0 = 0; t0 < keys; t0 += tile) {
            // a short last tile (b or m below KEY_TILE) scores its key blocks only: maskTile hides the rest
            final int inTile = Math.min(tile, keys - t0), scored = FlashKernel.roundUp(inTile, KEY_BLOCK);
            FlashTiles.scoreTile(queries, Q_BASE, ROW_TILE * QUERY_BLOCK, 0, padded, d, kT,
                    PackedKeyValues.BASE + t0 * d, all, scores, laneMax, scored);
            final boolean holeHere = holeFrom < holeTo && holeFrom < t0 + tile && holeTo > t0;
            // a tile of whole key blocks scored no padding: scoreTile's lane maxima are already those of its keys
            if (holeHere || inTile < scored) {
                maskTile(t0, keys, holeHere ? holeFrom : 0, holeHere ? holeTo : 0);
            }
            FlashTiles.softmaxTile(scores, laneMax, 0, padded, max, laneSum, acc, dp, FlashKernel.roundUp(inTile, LANES));
            FlashTiles.valueTile(scores, 0, padded, v, PackedKeyValues.BASE + t0 * dp, dp, all, acc, inTile);
        }
    }

    /**
     * Masks, in the tile from key {@code tileStart}, the keys at or past {@code end} and those in the hole
     * {@code [holeFrom, holeTo)} to -inf, and recomputes every row's lane "bit maxima" as {@link FlashTiles#scoreTile}
     * defines them (the signed-integer max of the float bits; a masked -inf never wins against a visible value
     * >= 0), which is all {@link FlashTiles#softmaxTile} needs; both up to the vector holding key {@code end - 1}
     * (the rest of a short last tile is neither scored nor read). Only the vectors holding masked keys are rewritten:
     * the hole is a few keys (about m·b/n_k), so this costs about one load and one max per vector of scores.
     */
    private void maskTile(int tileStart, int end, int holeFrom, int holeTo) {
        final int hi = Math.min(KEY_TILE, end - tileStart), read = FlashKernel.roundUp(hi, LANES);
        final int h0 = Math.max(0, holeFrom - tileStart), h1 = Math.min(KEY_TILE, Math.max(0, holeTo - tileStart));
        final float hiF = hi, h0F = h0, h1F = h1;
        for (int r = 0; r < padded; r++) {
            final float[] sb = scores[r / REGISTER_ROWS];
            final int at = BASE + (r % REGISTER_ROWS) * KEY_TILE;
            for (int j = 0; j < read; j += LANES) {
                if (j + LANES > hi || (j + LANES > h0 && j < h1)) {
                    FloatVector index = FloatVector.fromArray(SPECIES, LANE_INDEX, j);
                    VectorMask<Float> hidden = index.compare(VectorOperators.GE, hiF)
                            .or(index.compare(VectorOperators.GE, h0F).and(index.compare(VectorOperators.LT, h1F)));
                    FloatVector.fromArray(SPECIES, sb, at + j).blend(Float.NEGATIVE_INFINITY, hidden)
                            .intoArray(sb, at + j);
                }
            }
            IntVector mx = FloatVector.fromArray(SPECIES, sb, at).reinterpretAsInts();
            for (int j = LANES; j < read; j += LANES) {
                mx = mx.max(FloatVector.fromArray(SPECIES, sb, at + j).reinterpretAsInts());
            }
            mx.reinterpretAsFloats().intoArray(laneMax, BASE + r * LANES);
        }
    }

    /**
     * Merges the parts of every row into {@code out[outOffset + r·d ..]} and {@code lse[lseOffset + r]} (natural
     * log): the block part, the sample part with each key weighted {@code e^logSampleWeight}, and, when
     * {@code prior} is non-null, a prior result {@code prior[r·d ..]} with log-sum-exp {@code priorLse[r]}. This is
     * the exact log-sum-exp merge of docs/DESIGN.md §2.4 of all parts at once: with the parts' row sums l_i over
     * their own reference points (log2) m_i, M = the largest m_i of a non-empty part,
     * {@code O = Σ acc_i·2^(m_i − M) / Σ l_i·2^(m_i − M)} and {@code L = M·ln 2 + ln Σ l_i·2^(m_i − M)} (in double).
     * An empty part (no key, or every weight 0) counts nothing; a row whose parts are all empty gets a zero output
     * and L = -inf; a NaN part makes the row NaN.
     */
    public void finish(float logSampleWeight, float[] prior, float[] priorLse, float[] out, int outOffset,
                       float[] lse, int lseOffset) {
        final int d = dim, dp = valueStride;
        final double shift2 = logSampleWeight / LN2;
        for (int r = 0; r < rows; r++) {
            final double l1 = laneTotal(laneSum1, r), l2 = sampled ? laneTotal(laneSum2, r) : 0;
            final double m1 = max1[r], m2 = max2[r] + shift2;
            final double l3 = prior != null ? 1 : 0, m3 = prior != null ? priorLse[r] / LN2 : 0;
            final int o = outOffset + r * d;
            if (l1 != l1 || l2 != l2 || m3 != m3) {
                Arrays.fill(out, o, o + d, Float.NaN);
                lse[lseOffset + r] = Float.NaN;
                continue;
            }
            final boolean has1 = l1 > 0, has2 = l2 > 0, has3 = l3 > 0 && m3 != Double.NEGATIVE_INFINITY;
            double top = Double.NEGATIVE_INFINITY;
            if (has1) {
                top = m1;
            }
            if (has2 && m2 > top) {
                top = m2;
            }
            if (has3 && m3 > top) {
                top = m3;
            }
            if (top == Double.NEGATIVE_INFINITY) {
                Arrays.fill(out, o, o + d, 0f);
                lse[lseOffset + r] = Float.NEGATIVE_INFINITY;
                continue;
            }
            final double e1 = has1 ? scale(m1 - top) : 0, e2 = has2 ? scale(m2 - top) : 0;
            final double e3 = has3 ? scale(m3 - top) : 0;
            final double total = l1 * e1 + l2 * e2 + e3;
            final float w1 = (float) (e1 / total), w2 = (float) (e2 / total), w3 = (float) (e3 / total);
            final int a = BASE + r * dp, bound = SPECIES.loopBound(d);
            // three vector loops on purpose: a vector never crosses a call (docs/DESIGN.md §9.3)
            int c = 0;
            if (!has3) {
                for (; c < bound; c += LANES) {
                    FloatVector.fromArray(SPECIES, acc1, a + c).mul(w1)
                            .add(FloatVector.fromArray(SPECIES, acc2, a + c).mul(w2)).intoArray(out, o + c);
                }
                for (; c < d; c++) {
                    out[o + c] = acc1[a + c] * w1 + acc2[a + c] * w2;
                }
            } else {
                final int p = r * d;
                for (; c < bound; c += LANES) {
                    FloatVector.fromArray(SPECIES, acc1, a + c).mul(w1)
                            .add(FloatVector.fromArray(SPECIES, acc2, a + c).mul(w2))
                            .add(FloatVector.fromArray(SPECIES, prior, p + c).mul(w3)).intoArray(out, o + c);
                }
                for (; c < d; c++) {
                    out[o + c] = acc1[a + c] * w1 + acc2[a + c] * w2 + prior[p + c] * w3;
                }
            }
            lse[lseOffset + r] = (float) (top * LN2 + Math.log(total));
        }
    }

    /** 2^x for x <= 0 in double (Math.exp: the same result interpreted and compiled). */
    private static double scale(double x) {
        return x == 0 ? 1 : Math.exp(x * LN2);
    }

    /**
     * A row's lane sums added in a fixed order (deterministic), on four chains: the epilogue runs once per row and
     * query block, so a 16-long dependent chain of double adds would cost as much as the rest of it.
     */
    private static double laneTotal(float[] laneSum, int r) {
        final int from = BASE + r * LANES;
        if (LANES % 4 != 0) {
            double sum = 0;
            for (int i = from; i < from + LANES; i++) {
                sum += laneSum[i];
            }
            return sum;
        }
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int i = from; i < from + LANES; i += 4) {
            s0 += laneSum[i];
            s1 += laneSum[i + 1];
            s2 += laneSum[i + 2];
            s3 += laneSum[i + 3];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
