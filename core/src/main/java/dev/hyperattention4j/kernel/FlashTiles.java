package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_TILE;
import static dev.hyperattention4j.kernel.TileSizes.Flash.QUERY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.REGISTER_ROWS;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three phases of one (query chunk × key tile) step of {@link FlashKernel}, each a self-contained vector loop
 * over arrays (no vector crosses a call, so nothing boxes even if C2 compiles a phase on its own). Public so the
 * JMH benchmarks can time each phase alone.
 *
 * <p>Layouts, with {@code T = KEY_TILE} keys per tile and {@code L} float lanes:
 * <ul>
 *   <li>queries {@code [rows][d]}, pre-scaled by {@code scale·log2(e)};</li>
 *   <li>keys of one tile transposed in blocks of 4 vectors of keys, {@code [T / 4L][d][4L]}: the key index is the
 *   lane dimension, and each block the score kernel holds in L1 is contiguous (see {@link PackedKeyValues});</li>
 *   <li>scores / probabilities in one array per register block ({@link #scoreBlocks}), {@code [REGISTER_ROWS][T]} each;
 *   per-row lane maxima {@code [rows][L]} (from {@link #scoreTile}
 *   "bit maxima", exact only where a lane holds a value >= 0; see there);</li>
 *   <li>values of one tile in column blocks of 4 vectors, {@code [dp / 4L][T][4L]} (a last, narrower block
 *   {@code [T][dp mod 4L]}; see {@link PackedKeyValues}), and the output accumulator {@code [rows][dp]}, with
 *   {@code dp} a multiple of L.</li>
 * </ul>
 * Row counts are multiples of {@link TileSizes.Flash#REGISTER_ROWS}; callers pad with zero query rows. Each phase works
 * on rows
 * {@code [rowFrom, rows)} ({@code rowFrom} a multiple of REGISTER_ROWS): rows above the causal diagonal of a tile are
 * skipped, and their state (max, sum, output) is left as it is.
 */
public final class FlashTiles {
    static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    /**
     * Lazy max: how far (in log2 units) a tile's scores may exceed the row's running max m before the softmax moves
     * m. A tile whose scores all stay at or below {@code m + MAX_HEADROOM} keeps m, so p = 2^(s - m) <= 256 (far from
     * float overflow, no precision lost) and the row needs neither the max reduction nor the rescale; after a row's
     * first tiles nearly every tile takes this path (8-10 % faster single-threaded at n = 4096, d = 64).
     */
    static final float MAX_HEADROOM = 8f;
    /**
     * Index of element 0 of the caller's scratch arrays (scores, lane maxima, lane sums, output accumulator):
     * {@link ArrayAlignment#FLOAT_OFFSET}, so their rows start on cache lines when the JVM allows it. Callers size
     * those arrays {@code BASE} floats larger.
     */
    public static final int BASE = ArrayAlignment.FLOAT_OFFSET;
    /** 0, 1, ..., KEY_TILE - 1: lane positions for the mask compare in tiles the causal diagonal crosses. */
    private static final float[] LANE_INDEX = new float[KEY_TILE];

    static {
        for (int i = 0; i < KEY_TILE; i++) {
            LANE_INDEX[i] = i;
        }
    }

    private FlashTiles() {}

    /**
     * Scratch for the scores of {@code rows} rows, which {@link #softmaxTile} turns into probabilities in place: one
     * array per register block, {@code [REGISTER_ROWS][KEY_TILE]} from {@link #BASE}. In an array of its own a
     * block's 6 broadcasts in {@link #valueTile} sit at constant displacements from the key index, so C2's P·V loop needs no
     * sign extension and add for the block's offset (4 scalar uops per 24 FMAs instead of 6; isolated P·V +1.4 %,
     * the whole kernel within the noise of paired runs, session 14).
     */
    public static float[][] scoreBlocks(int rows) {
        final float[][] blocks = new float[(rows + REGISTER_ROWS - 1) / REGISTER_ROWS][];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new float[BASE + REGISTER_ROWS * KEY_TILE];
        }
        return blocks;
    }

    /**
     * {@code s = q·kTᵀ} for one key tile, and per row the lane-wise "bit maxima" of s, folded from the 4-vector
     * block just stored (still in L1; so the softmax needs no separate max pass in the usual case): the signed-integer
     * max of the float bits, one instruction per vector instead of a compare and a blend. Non-negative floats order like
     * their bits and lie above every negative one, so a lane's bit max is its true max when the lane holds a value
     * >= 0 and some negative value otherwise; {@link #softmaxTile} only asks whether a score exceeds a threshold
     * >= 0, which that answers exactly (+0.3 to +1.2 points at n = 4096, d = 64 and 128, paired; results
     * bit-identical). Queries are laid out in column blocks,
     * {@code [ceil(d / QUERY_BLOCK)][rows][QUERY_BLOCK]} from {@code qOff}, blocks {@code qBlockStride} floats apart,
     * and the kernel makes one pass per column block (later passes resume from the scores stored by the previous
     * one; the last also folds the lane maxima). The row stride is then the constant QUERY_BLOCK, so the 6 broadcasts
     * of a step address one register at fixed displacements: C2's inner loop has 7 scalar uops per 24 FMAs instead
     * of 11 with the row stride d (+1 to +1.5 points of peak at d = 64 and 128 in paired runs; d = 80 pays a
     * 16-column second pass, -1 point). Micro-kernel: 6 rows × 4 vectors of keys = 24 accumulators, plus 4 key loads
     * and the broadcasts.
     *
     * <p>Row r sees key j of the tile iff {@code j <= r + diagonal} (a huge value: no mask). Register blocks whose rows
     * see none of a 4-vector key block skip it and leave its scores stale: the caller masks such tiles with
     * {@link #maskTile}, which sets them to -inf (causal n = 4096, one thread: +0.3 points at d = 64, +0.8 at d = 128).
     */
    public static void scoreTile(float[] q, int qOff, int qBlockStride, int rowFrom, int rows, int d, float[] kT,
                                 int kOff, long diagonal, float[][] s, float[] laneMax) {
        scoreTile(q, qOff, qBlockStride, rowFrom, rows, d, kT, kOff, diagonal, s, laneMax, KEY_TILE);
    }

    /**
     * {@link #scoreTile} over the tile's first {@code keyLimit} keys only (a multiple of {@link TileSizes.Flash#KEY_BLOCK}):
     * the scores and lane maxima of the key blocks past it are left stale, for a caller that masks them (a tile with
     * fewer keys than {@link TileSizes.Flash#KEY_TILE}, e.g. HyperAttention's blocks of b = 64, which would otherwise
     * compute a whole tile to mask half of it).
     */
    public static void scoreTile(float[] q, int qOff, int qBlockStride, int rowFrom, int rows, int d, float[] kT,
                                 int kOff, long diagonal, float[][] s, float[] laneMax, int keyLimit) {
        final int lanes = SPECIES.length();
        final int t = Math.min(KEY_TILE, keyLimit);
        final int qb = QUERY_BLOCK, kb = KEY_BLOCK;
        // Key blocks outside, row blocks inside: one contiguous block of Kᵀ ([d][4 vectors], 16 KiB at d = 64, 32 KiB at
        // d = 128) stays in L1 while every row block streams past it.
        for (int vb = 0; vb < t; vb += kb) {
            final long firstSeeing = vb - diagonal;          // the first row that sees key vb of the tile
            final int blockFrom = firstSeeing <= rowFrom ? rowFrom
                    : (int) Math.min(rows, firstSeeing / REGISTER_ROWS * REGISTER_ROWS);
            for (int cb = 0; cb < d; cb += qb) {
                final boolean first = cb == 0, last = cb + qb >= d;
                final int qBlock = qOff + (cb / qb) * qBlockStride, width = Math.min(qb, d - cb);
                final int kc = kOff + vb * d + cb * kb;
                for (int r = blockFrom; r < rows; r += REGISTER_ROWS) {
                    scoreBlock(q, qBlock + r * qb, width, kT, kc, s[r / REGISTER_ROWS], BASE + vb, first,
                            last, vb != 0, laneMax, BASE + r * lanes);
                }
            }
        }
    }

    /**
     * One register block of {@link #scoreTile}: 6 query rows × 4 vectors of keys over one query column block of
     * {@code width} columns, resumed from the stored scores unless {@code first}; after the {@code last} column block
     * also folds each row's lane "bit maxima" into {@code laneMax} (over the earlier key blocks' too when
     * {@code foldPrevious}). A method of its own, with no vector crossing its boundary: C2 compiles it in a fraction
     * of the time it took for the whole tile loop, after a few hundred calls instead of after an on-stack replacement
     * of the loop nest (whose code boxed the accumulators live at its entry), so a fresh process reaches compiled
     * speed early in its first large call.
     */
    static void scoreBlock(float[] q, int q0, int width, float[] kT, int kc0, float[] sb, int p0,
                           boolean first, boolean last, boolean foldPrevious, float[] laneMax, int mBase) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        final int qb = QUERY_BLOCK, kb = KEY_BLOCK;
        FloatVector a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23;
        FloatVector a30, a31, a32, a33, a40, a41, a42, a43, a50, a51, a52, a53;
        if (first) {
            a00 = FloatVector.zero(SPECIES); a01 = a00; a02 = a00; a03 = a00;
            a10 = a00; a11 = a00; a12 = a00; a13 = a00;
            a20 = a00; a21 = a00; a22 = a00; a23 = a00;
            a30 = a00; a31 = a00; a32 = a00; a33 = a00;
            a40 = a00; a41 = a00; a42 = a00; a43 = a00;
            a50 = a00; a51 = a00; a52 = a00; a53 = a00;
        } else {
            a00 = FloatVector.fromArray(SPECIES, sb, p0); a01 = FloatVector.fromArray(SPECIES, sb, p0 + lanes);
            a02 = FloatVector.fromArray(SPECIES, sb, p0 + 2 * lanes); a03 = FloatVector.fromArray(SPECIES, sb, p0 + 3 * lanes);
            a10 = FloatVector.fromArray(SPECIES, sb, p0 + t); a11 = FloatVector.fromArray(SPECIES, sb, p0 + t + lanes);
            a12 = FloatVector.fromArray(SPECIES, sb, p0 + t + 2 * lanes); a13 = FloatVector.fromArray(SPECIES, sb, p0 + t + 3 * lanes);
            a20 = FloatVector.fromArray(SPECIES, sb, p0 + 2 * t); a21 = FloatVector.fromArray(SPECIES, sb, p0 + 2 * t + lanes);
            a22 = FloatVector.fromArray(SPECIES, sb, p0 + 2 * t + 2 * lanes); a23 = FloatVector.fromArray(SPECIES, sb, p0 + 2 * t + 3 * lanes);
            a30 = FloatVector.fromArray(SPECIES, sb, p0 + 3 * t); a31 = FloatVector.fromArray(SPECIES, sb, p0 + 3 * t + lanes);
            a32 = FloatVector.fromArray(SPECIES, sb, p0 + 3 * t + 2 * lanes); a33 = FloatVector.fromArray(SPECIES, sb, p0 + 3 * t + 3 * lanes);
            a40 = FloatVector.fromArray(SPECIES, sb, p0 + 4 * t); a41 = FloatVector.fromArray(SPECIES, sb, p0 + 4 * t + lanes);
            a42 = FloatVector.fromArray(SPECIES, sb, p0 + 4 * t + 2 * lanes); a43 = FloatVector.fromArray(SPECIES, sb, p0 + 4 * t + 3 * lanes);
            a50 = FloatVector.fromArray(SPECIES, sb, p0 + 5 * t); a51 = FloatVector.fromArray(SPECIES, sb, p0 + 5 * t + lanes);
            a52 = FloatVector.fromArray(SPECIES, sb, p0 + 5 * t + 2 * lanes); a53 = FloatVector.fromArray(SPECIES, sb, p0 + 5 * t + 3 * lanes);
        }
        int kc = kc0;
        for (int c = 0; c < width; c++, kc += kb) {
            FloatVector k0 = FloatVector.fromArray(SPECIES, kT, kc);
            FloatVector k1 = FloatVector.fromArray(SPECIES, kT, kc + lanes);
            FloatVector k2 = FloatVector.fromArray(SPECIES, kT, kc + 2 * lanes);
            FloatVector k3 = FloatVector.fromArray(SPECIES, kT, kc + 3 * lanes);
            FloatVector b = FloatVector.broadcast(SPECIES, q[q0 + c]);
            a00 = k0.fma(b, a00); a01 = k1.fma(b, a01); a02 = k2.fma(b, a02); a03 = k3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, q[q0 + qb + c]);
            a10 = k0.fma(b, a10); a11 = k1.fma(b, a11); a12 = k2.fma(b, a12); a13 = k3.fma(b, a13);
            b = FloatVector.broadcast(SPECIES, q[q0 + 2 * qb + c]);
            a20 = k0.fma(b, a20); a21 = k1.fma(b, a21); a22 = k2.fma(b, a22); a23 = k3.fma(b, a23);
            b = FloatVector.broadcast(SPECIES, q[q0 + 3 * qb + c]);
            a30 = k0.fma(b, a30); a31 = k1.fma(b, a31); a32 = k2.fma(b, a32); a33 = k3.fma(b, a33);
            b = FloatVector.broadcast(SPECIES, q[q0 + 4 * qb + c]);
            a40 = k0.fma(b, a40); a41 = k1.fma(b, a41); a42 = k2.fma(b, a42); a43 = k3.fma(b, a43);
            b = FloatVector.broadcast(SPECIES, q[q0 + 5 * qb + c]);
            a50 = k0.fma(b, a50); a51 = k1.fma(b, a51); a52 = k2.fma(b, a52); a53 = k3.fma(b, a53);
        }
        // store the scores; after the last column block, fold them into the lane "bit maxima"
        a00.intoArray(sb, p0); a01.intoArray(sb, p0 + lanes); a02.intoArray(sb, p0 + 2 * lanes); a03.intoArray(sb, p0 + 3 * lanes);
        a10.intoArray(sb, p0 + t); a11.intoArray(sb, p0 + t + lanes); a12.intoArray(sb, p0 + t + 2 * lanes); a13.intoArray(sb, p0 + t + 3 * lanes);
        a20.intoArray(sb, p0 + 2 * t); a21.intoArray(sb, p0 + 2 * t + lanes); a22.intoArray(sb, p0 + 2 * t + 2 * lanes); a23.intoArray(sb, p0 + 2 * t + 3 * lanes);
        a30.intoArray(sb, p0 + 3 * t); a31.intoArray(sb, p0 + 3 * t + lanes); a32.intoArray(sb, p0 + 3 * t + 2 * lanes); a33.intoArray(sb, p0 + 3 * t + 3 * lanes);
        a40.intoArray(sb, p0 + 4 * t); a41.intoArray(sb, p0 + 4 * t + lanes); a42.intoArray(sb, p0 + 4 * t + 2 * lanes); a43.intoArray(sb, p0 + 4 * t + 3 * lanes);
        a50.intoArray(sb, p0 + 5 * t); a51.intoArray(sb, p0 + 5 * t + lanes); a52.intoArray(sb, p0 + 5 * t + 2 * lanes); a53.intoArray(sb, p0 + 5 * t + 3 * lanes);
        if (last) {
            foldLaneMax(sb, p0, foldPrevious, laneMax, mBase);
        }
    }

    /**
     * Folds the 4 score vectors of each of 6 rows from {@code sb[p0]} into the rows' lane "bit maxima": the
     * signed-integer max of the float bits, one instruction (FloatVector.max carries Java's NaN/-0.0 rules: about 6;
     * compare+blend: 2). It is the true lane max whenever the lane holds a value >= 0, and negative otherwise (see
     * softmaxTile, which relies on no more than that). Folded from the stored scores rather than from
     * {@link #scoreBlock}'s accumulators: with the fold inside, C2 took 1-1.7 s to compile scoreBlock (busy 2-core
     * host), 0.25 s without it, and the reload is 24 L1 loads per 1,536 FMAs.
     */
    static void foldLaneMax(float[] sb, int p0, boolean foldPrevious, float[] laneMax, int mBase) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        for (int i = 0; i < REGISTER_ROWS; i++) {
            final int p = p0 + i * t, m = mBase + i * lanes;
            IntVector x = FloatVector.fromArray(SPECIES, sb, p).reinterpretAsInts()
                    .max(FloatVector.fromArray(SPECIES, sb, p + lanes).reinterpretAsInts())
                    .max(FloatVector.fromArray(SPECIES, sb, p + 2 * lanes).reinterpretAsInts()
                            .max(FloatVector.fromArray(SPECIES, sb, p + 3 * lanes).reinterpretAsInts()));
            if (foldPrevious) {
                x = x.max(FloatVector.fromArray(SPECIES, laneMax, m).reinterpretAsInts());
            }
            x.reinterpretAsFloats().intoArray(laneMax, m);
        }
    }

    /** How many leading keys of a tile some row of the register block at r sees, when row r sees j <= r + diagonal. */
    private static int visibleKeys(int r, long diagonal) {
        return (int) Math.max(0, Math.min(KEY_TILE, r + REGISTER_ROWS + diagonal));
    }

    /**
     * Applies the mask to one key tile starting at key {@code tileStart}, for a tile that some row of
     * {@code [rowFrom, rows)} does not see whole: the keys a row may not see become -inf (so {@link #softmaxTile}
     * gives them p = 0) and the row's lane maxima are recomputed over the keys it sees (all -inf for a row that sees
     * none). Row r sees key j iff {@code keyFrom <= j < keyTo} and {@code j <= rowLimit + r}. A separate method so
     * that causal calls do not change how C2 compiles the softmax of the full tiles (with the masked loop inside
     * softmaxTile, a causal warm-up made the non-causal softmax 25 % slower).
     */
    public static void maskTile(float[][] s, float[] laneMax, int rowFrom, int rows, int tileStart, int keyFrom,
                                int keyTo, long rowLimit) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        final int lo = Math.max(0, keyFrom - tileStart);
        final int hiRange = Math.min(t, keyTo - tileStart);
        for (int r = rowFrom; r < rows; r++) {
            final int hi = (int) Math.max(0, Math.min(hiRange, rowLimit + r + 1 - tileStart));
            if (lo == 0 && hi == t) {
                continue;                         // this row sees the whole tile: scores and lane maxima stand
            }
            maskRow(s[r / REGISTER_ROWS], BASE + (r % REGISTER_ROWS) * t, lo, hi, laneMax, BASE + r * lanes);
        }
    }

    /** One row of {@link #maskTile}: keys outside {@code [lo, hi)} become -inf; the row's lane maxima are redone. */
    static void maskRow(float[] sb, int row, int lo, int hi, float[] laneMax, int m) {
        final int lanes = SPECIES.length();
        final float loF = lo, hiF = hi;
        FloatVector mx = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < KEY_TILE; j += lanes) {
            FloatVector index = FloatVector.fromArray(SPECIES, LANE_INDEX, j);
            VectorMask<Float> hidden = index.compare(VectorOperators.LT, loF)
                    .or(index.compare(VectorOperators.GE, hiF));
            FloatVector x = FloatVector.fromArray(SPECIES, sb, row + j).blend(Float.NEGATIVE_INFINITY, hidden);
            x.intoArray(sb, row + j);
            mx = mx.blend(x, mx.compare(VectorOperators.LT, x).or(x.compare(VectorOperators.NE, x)));
        }
        mx.intoArray(laneMax, m);
    }

    /**
     * The online-softmax update for one key tile: for each row, moves the running max {@code m} if a score exceeds
     * it by more than {@link #MAX_HEADROOM}, turns the scores into {@code p = 2^(s - m)} in place and updates the
     * row sum {@code l = l·c + Σp}, kept as L lane partial sums ({@code laneSum [rows][L]}) that the caller reduces
     * once at the end. When m moves, the row's output accumulator ({@code o [rows][dp]}) is rescaled here by
     * {@code c = 2^(m_old - m_new)}; with the lazy max that is rare, so {@link #valueTile} need not rescale.
     *
     * <p>Masked keys are -inf (see {@link #maskTile}) and get p = 0. A row that has seen no key yet keeps
     * {@code m = -inf}, {@code l = 0} and gets p = 0, so -inf - (-inf) never makes a NaN.
     */
    public static void softmaxTile(float[][] s, float[] laneMax, int rowFrom, int rows, float[] m, float[] laneSum,
                                   float[] o, int dp) {
        softmaxTile(s, laneMax, rowFrom, rows, m, laneSum, o, dp, KEY_TILE);
    }

    /**
     * {@link #softmaxTile} over the tile's first {@code keyLimit} keys (a multiple of the lane count), for a tile
     * whose keys past it are masked and skipped by {@link #valueTile} too: their p = 0 would add nothing to the row
     * sums, so the sums are the same bit for bit. The lane maxima must not count the skipped keys (masked: -inf).
     */
    public static void softmaxTile(float[][] s, float[] laneMax, int rowFrom, int rows, float[] m, float[] laneSum,
                                   float[] o, int dp, int keyLimit) {
        final int keys = Math.min(KEY_TILE, keyLimit);
        for (int r = rowFrom; r < rows; r++) {
            softmaxRow(s[r / REGISTER_ROWS], BASE + (r % REGISTER_ROWS) * KEY_TILE, r, laneMax, m, laneSum, o, dp,
                    keys);
        }
    }

    /** One row r of {@link #softmaxTile}, whose scores start at {@code sb[row]}, over its first {@code keys} keys. */
    static void softmaxRow(float[] sb, int row, int r, float[] laneMax, float[] m, float[] laneSum,
                           float[] o, int dp, int keys) {
        final int lanes = SPECIES.length();
        final int t = keys;
        final FloatVector c0 = FloatVector.broadcast(SPECIES, FastExp2.C0), c1 = FloatVector.broadcast(SPECIES, FastExp2.C1);
        final FloatVector c2 = FloatVector.broadcast(SPECIES, FastExp2.C2), c3 = FloatVector.broadcast(SPECIES, FastExp2.C3);
        final FloatVector c4 = FloatVector.broadcast(SPECIES, FastExp2.C4), c5 = FloatVector.broadcast(SPECIES, FastExp2.C5);
        final FloatVector c6 = FloatVector.broadcast(SPECIES, FastExp2.C6);
        final FloatVector round = FloatVector.broadcast(SPECIES, FastExp2.ROUND);
        final float mOld = m[r];
        final FloatVector tileLaneMax = FloatVector.fromArray(SPECIES, laneMax, BASE + r * lanes);
        final float threshold = mOld + MAX_HEADROOM;
        final float tileMax;
        // The lane "maxima" from scoreTile are exact in lanes that hold a value >= 0 and negative otherwise, so
        // with a threshold >= 0 they answer "does any score exceed it?" exactly (maskTile's are always exact).
        if (threshold >= 0 && !tileLaneMax.compare(VectorOperators.GT, threshold).anyTrue()) {
            tileMax = mOld;    // lazy max: keep m, so no reduction and no rescale; p <= 2^MAX_HEADROOM
        } else {
            // The largest lane value is the exact tile max when it is >= 0 (the max then lies in a lane holding
            // a value >= 0) or NaN; only a tile whose scores are all negative needs a pass over the stored scores
            final float laneTop = tileLaneMax.reduceLanes(VectorOperators.MAX);
            float exact = laneTop;
            if (laneTop < 0) {
                FloatVector mx = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
                for (int j = 0; j < t; j += lanes) {
                    FloatVector x = FloatVector.fromArray(SPECIES, sb, row + j);
                    mx = mx.blend(x, mx.compare(VectorOperators.LT, x).or(x.compare(VectorOperators.NE, x)));
                }
                exact = mx.reduceLanes(VectorOperators.MAX);
            }
            tileMax = mOld != Float.NEGATIVE_INFINITY && exact <= threshold ? mOld : exact;   // the same lazy rule
        }
        final float mNew = tileMax > mOld || tileMax != tileMax ? tileMax : mOld;
        if (mNew == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(sb, row, row + t, 0f);
            return;
        }
        final float c = mNew == mOld ? 1f : FastExp2.exp2(mOld - mNew);
        if (c != 1f) {
            for (int i = BASE + r * dp, end = i + dp; i < end; i += lanes) {
                FloatVector.fromArray(SPECIES, o, i).mul(c).intoArray(o, i);
            }
        }
        final FloatVector max = FloatVector.broadcast(SPECIES, mNew);
        FloatVector sum = FloatVector.zero(SPECIES);
        for (int j = 0; j < t; j += lanes) {
            // p = 2^(s - m): FastExp2 inlined by hand (see there for the method and its accuracy).
            FloatVector x = FloatVector.fromArray(SPECIES, sb, row + j).sub(max);
            VectorMask<Float> under = x.compare(VectorOperators.LT, FastExp2.MIN_ARG);
            FloatVector tr = x.add(round);
            FloatVector f = x.sub(tr.sub(round));
            FloatVector poly = c6.fma(f, c5).fma(f, c4).fma(f, c3).fma(f, c2).fma(f, c1).fma(f, c0);
            IntVector bits = poly.reinterpretAsInts().add(tr.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23));
            FloatVector pj = ((FloatVector) bits.reinterpretAsFloats()).blend(0f, under);
            pj.intoArray(sb, row + j);
            sum = sum.add(pj);
        }
        m[r] = mNew;
        // The row sum stays in vector lanes across tiles (l = l·c + Σp lane by lane) and is reduced once per
        // row at the end in a fixed order: reduceLanes(ADD) per tile would cost a shuffle tree per row, and it
        // sums in a different order when C2 intrinsifies it than in the interpreter (results would depend on
        // JIT timing, and so on thread count).
        FloatVector.fromArray(SPECIES, laneSum, BASE + r * lanes).fma(FloatVector.broadcast(SPECIES, c), sum)
                .intoArray(laneSum, BASE + r * lanes);
    }

    /**
     * {@code o[r] += p[r]·v} for one key tile (the softmax has already rescaled o where the max moved). A register
     * block stops at the last key its bottom row sees ({@code j <= r + diagonal}): the causal mask's hidden keys past
     * it have p = 0 (causal n = 4096, one thread: +0.1 to +0.9 points; non-causal calls, where every block runs the
     * whole tile, measured the same as with a constant trip count).
     * Micro-kernel: 6 rows × 4 vectors of the head dimension (24 accumulators, 4 value loads, 1 broadcast);
     * a 6 × 1 kernel takes the remaining vectors when {@code dp} is not a multiple of 4 vectors.
     */
    public static void valueTile(float[][] p, int rowFrom, int rows, float[] v, int vOff, int dp, long diagonal,
                                 float[] o) {
        valueTile(p, rowFrom, rows, v, vOff, dp, diagonal, o, KEY_TILE);
    }

    /**
     * {@link #valueTile} over the tile's first {@code keyLimit} keys only: the keys past it must have p = 0 (masked),
     * whose terms would add nothing. Skipping them gives the same sums, bit for bit.
     */
    public static void valueTile(float[][] p, int rowFrom, int rows, float[] v, int vOff, int dp, long diagonal,
                                 float[] o, int keyLimit) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE, limit = Math.min(KEY_TILE, keyLimit);
        // Column blocks outside, row blocks inside: one column block of V ([128][4 vectors], 32 KiB) stays in L1
        // while every row block streams past it.
        int cb = 0;
        for (; cb + 4 * lanes <= dp; cb += 4 * lanes) {
            for (int r = rowFrom; r < rows; r += REGISTER_ROWS) {
                // the block's value rows are 4 vectors apart: a constant stride (see PackedKeyValues)
                valueBlock(p[r / REGISTER_ROWS], Math.min(limit, visibleKeys(r, diagonal)), v, vOff + cb * t, o, BASE + r * dp, dp, cb);
            }
        }
        final int lastBlock = cb, lastWidth = dp - cb;    // the last value block: 1-3 vectors wide
        for (; cb + 2 * lanes <= dp; cb += 2 * lanes) {   // 2 of the remaining vectors (d = 32 at 16 lanes): 6 x 2
            for (int r = rowFrom; r < rows; r += REGISTER_ROWS) {
                valueColumns2(p[r / REGISTER_ROWS], Math.min(limit, visibleKeys(r, diagonal)), v,
                        vOff + lastBlock * t + (cb - lastBlock), lastWidth, o, BASE + r * dp, dp, cb);
            }
        }
        for (; cb < dp; cb += lanes) {   // the last remaining vector: 6 x 1
            for (int r = rowFrom; r < rows; r += REGISTER_ROWS) {
                valueColumn(p[r / REGISTER_ROWS], Math.min(limit, visibleKeys(r, diagonal)), v,
                        vOff + lastBlock * t + (cb - lastBlock), lastWidth, o, BASE + r * dp, dp, cb);
            }
        }
    }

    /**
     * One register block of {@link #valueTile}: 6 output rows from {@code o[o0]} ({@code dp} apart) × the 4 vectors
     * of columns from {@code cb}, over the first {@code keys} keys, whose value rows start at {@code v[vr0]}, 4
     * vectors apart. A method of its own for the reason given at {@link #scoreBlock}.
     */
    static void valueBlock(float[] pb, int keys, float[] v, int vr0, float[] o, int o0, int dp, int cb) {
        final int lanes = SPECIES.length();
        final int t = KEY_TILE;
        final int o1 = o0 + dp, o2 = o1 + dp, o3 = o2 + dp, o4 = o3 + dp, o5 = o4 + dp;
        final int c1 = cb + lanes, c2 = cb + 2 * lanes, c3 = cb + 3 * lanes;
        FloatVector a00 = FloatVector.fromArray(SPECIES, o, o0 + cb), a01 = FloatVector.fromArray(SPECIES, o, o0 + c1);
        FloatVector a02 = FloatVector.fromArray(SPECIES, o, o0 + c2), a03 = FloatVector.fromArray(SPECIES, o, o0 + c3);
        FloatVector a10 = FloatVector.fromArray(SPECIES, o, o1 + cb), a11 = FloatVector.fromArray(SPECIES, o, o1 + c1);
        FloatVector a12 = FloatVector.fromArray(SPECIES, o, o1 + c2), a13 = FloatVector.fromArray(SPECIES, o, o1 + c3);
        FloatVector a20 = FloatVector.fromArray(SPECIES, o, o2 + cb), a21 = FloatVector.fromArray(SPECIES, o, o2 + c1);
        FloatVector a22 = FloatVector.fromArray(SPECIES, o, o2 + c2), a23 = FloatVector.fromArray(SPECIES, o, o2 + c3);
        FloatVector a30 = FloatVector.fromArray(SPECIES, o, o3 + cb), a31 = FloatVector.fromArray(SPECIES, o, o3 + c1);
        FloatVector a32 = FloatVector.fromArray(SPECIES, o, o3 + c2), a33 = FloatVector.fromArray(SPECIES, o, o3 + c3);
        FloatVector a40 = FloatVector.fromArray(SPECIES, o, o4 + cb), a41 = FloatVector.fromArray(SPECIES, o, o4 + c1);
        FloatVector a42 = FloatVector.fromArray(SPECIES, o, o4 + c2), a43 = FloatVector.fromArray(SPECIES, o, o4 + c3);
        FloatVector a50 = FloatVector.fromArray(SPECIES, o, o5 + cb), a51 = FloatVector.fromArray(SPECIES, o, o5 + c1);
        FloatVector a52 = FloatVector.fromArray(SPECIES, o, o5 + c2), a53 = FloatVector.fromArray(SPECIES, o, o5 + c3);
        int vr = vr0;
        for (int j = 0; j < keys; j++, vr += 4 * lanes) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, v, vr);
            FloatVector v1 = FloatVector.fromArray(SPECIES, v, vr + lanes);
            FloatVector v2 = FloatVector.fromArray(SPECIES, v, vr + 2 * lanes);
            FloatVector v3 = FloatVector.fromArray(SPECIES, v, vr + 3 * lanes);
            FloatVector b = FloatVector.broadcast(SPECIES, pb[BASE + j]);
            a00 = v0.fma(b, a00); a01 = v1.fma(b, a01); a02 = v2.fma(b, a02); a03 = v3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, pb[BASE + t + j]);
            a10 = v0.fma(b, a10); a11 = v1.fma(b, a11); a12 = v2.fma(b, a12); a13 = v3.fma(b, a13);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 2 * t + j]);
            a20 = v0.fma(b, a20); a21 = v1.fma(b, a21); a22 = v2.fma(b, a22); a23 = v3.fma(b, a23);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 3 * t + j]);
            a30 = v0.fma(b, a30); a31 = v1.fma(b, a31); a32 = v2.fma(b, a32); a33 = v3.fma(b, a33);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 4 * t + j]);
            a40 = v0.fma(b, a40); a41 = v1.fma(b, a41); a42 = v2.fma(b, a42); a43 = v3.fma(b, a43);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 5 * t + j]);
            a50 = v0.fma(b, a50); a51 = v1.fma(b, a51); a52 = v2.fma(b, a52); a53 = v3.fma(b, a53);
        }
        a00.intoArray(o, o0 + cb); a01.intoArray(o, o0 + c1); a02.intoArray(o, o0 + c2); a03.intoArray(o, o0 + c3);
        a10.intoArray(o, o1 + cb); a11.intoArray(o, o1 + c1); a12.intoArray(o, o1 + c2); a13.intoArray(o, o1 + c3);
        a20.intoArray(o, o2 + cb); a21.intoArray(o, o2 + c1); a22.intoArray(o, o2 + c2); a23.intoArray(o, o2 + c3);
        a30.intoArray(o, o3 + cb); a31.intoArray(o, o3 + c1); a32.intoArray(o, o3 + c2); a33.intoArray(o, o3 + c3);
        a40.intoArray(o, o4 + cb); a41.intoArray(o, o4 + c1); a42.intoArray(o, o4 + c2); a43.intoArray(o, o4 + c3);
        a50.intoArray(o, o5 + cb); a51.intoArray(o, o5 + c1); a52.intoArray(o, o5 + c2); a53.intoArray(o, o5 + c3);
    }

    /**
     * One 6 × 2 block of {@link #valueTile}: 6 output rows × the two vectors of columns at {@code cb} (12
     * accumulators, 2 loads and 6 broadcasts per key), from value rows {@code stride} floats apart starting at
     * {@code v[vr0]}; each accumulator adds its keys in order, as {@link #valueColumn} does.
     */
    static void valueColumns2(float[] pb, int keys, float[] v, int vr0, int stride, float[] o, int o0, int dp,
                              int cb) {
        final int t = KEY_TILE, l = SPECIES.length();
        final int o1 = o0 + dp, o2 = o1 + dp, o3 = o2 + dp, o4 = o3 + dp, o5 = o4 + dp, c1 = cb + l;
        FloatVector a00 = FloatVector.fromArray(SPECIES, o, o0 + cb), a01 = FloatVector.fromArray(SPECIES, o, o0 + c1);
        FloatVector a10 = FloatVector.fromArray(SPECIES, o, o1 + cb), a11 = FloatVector.fromArray(SPECIES, o, o1 + c1);
        FloatVector a20 = FloatVector.fromArray(SPECIES, o, o2 + cb), a21 = FloatVector.fromArray(SPECIES, o, o2 + c1);
        FloatVector a30 = FloatVector.fromArray(SPECIES, o, o3 + cb), a31 = FloatVector.fromArray(SPECIES, o, o3 + c1);
        FloatVector a40 = FloatVector.fromArray(SPECIES, o, o4 + cb), a41 = FloatVector.fromArray(SPECIES, o, o4 + c1);
        FloatVector a50 = FloatVector.fromArray(SPECIES, o, o5 + cb), a51 = FloatVector.fromArray(SPECIES, o, o5 + c1);
        int vr = vr0;
        for (int j = 0; j < keys; j++, vr += stride) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, v, vr);
            FloatVector v1 = FloatVector.fromArray(SPECIES, v, vr + l);
            FloatVector b = FloatVector.broadcast(SPECIES, pb[BASE + j]);
            a00 = v0.fma(b, a00); a01 = v1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, pb[BASE + t + j]);
            a10 = v0.fma(b, a10); a11 = v1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 2 * t + j]);
            a20 = v0.fma(b, a20); a21 = v1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 3 * t + j]);
            a30 = v0.fma(b, a30); a31 = v1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 4 * t + j]);
            a40 = v0.fma(b, a40); a41 = v1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, pb[BASE + 5 * t + j]);
            a50 = v0.fma(b, a50); a51 = v1.fma(b, a51);
        }
        a00.intoArray(o, o0 + cb); a01.intoArray(o, o0 + c1);
        a10.intoArray(o, o1 + cb); a11.intoArray(o, o1 + c1);
        a20.intoArray(o, o2 + cb); a21.intoArray(o, o2 + c1);
        a30.intoArray(o, o3 + cb); a31.intoArray(o, o3 + c1);
        a40.intoArray(o, o4 + cb); a41.intoArray(o, o4 + c1);
        a50.intoArray(o, o5 + cb); a51.intoArray(o, o5 + c1);
    }

    /**
     * One 6 × 1 block of {@link #valueTile}: 6 output rows × the one vector of columns at {@code cb}, from value rows
     * {@code stride} floats apart starting at {@code v[vr0]}.
     */
    static void valueColumn(float[] pb, int keys, float[] v, int vr0, int stride, float[] o, int o0, int dp,
                            int cb) {
        final int t = KEY_TILE;
        final int o1 = o0 + dp, o2 = o1 + dp, o3 = o2 + dp, o4 = o3 + dp, o5 = o4 + dp;
        FloatVector a0 = FloatVector.fromArray(SPECIES, o, o0 + cb);
        FloatVector a1 = FloatVector.fromArray(SPECIES, o, o1 + cb);
        FloatVector a2 = FloatVector.fromArray(SPECIES, o, o2 + cb);
        FloatVector a3 = FloatVector.fromArray(SPECIES, o, o3 + cb);
        FloatVector a4 = FloatVector.fromArray(SPECIES, o, o4 + cb);
        FloatVector a5 = FloatVector.fromArray(SPECIES, o, o5 + cb);
        int vr = vr0;
        for (int j = 0; j < keys; j++, vr += stride) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, v, vr);
            a0 = v0.fma(FloatVector.broadcast(SPECIES, pb[BASE + j]), a0);
            a1 = v0.fma(FloatVector.broadcast(SPECIES, pb[BASE + t + j]), a1);
            a2 = v0.fma(FloatVector.broadcast(SPECIES, pb[BASE + 2 * t + j]), a2);
            a3 = v0.fma(FloatVector.broadcast(SPECIES, pb[BASE + 3 * t + j]), a3);
            a4 = v0.fma(FloatVector.broadcast(SPECIES, pb[BASE + 4 * t + j]), a4);
            a5 = v0.fma(FloatVector.broadcast(SPECIES, pb[BASE + 5 * t + j]), a5);
        }
        a0.intoArray(o, o0 + cb);
        a1.intoArray(o, o1 + cb);
        a2.intoArray(o, o2 + cb);
        a3.intoArray(o, o3 + cb);
        a4.intoArray(o, o4 + cb);
        a5.intoArray(o, o5 + cb);
    }
}
