package dev.hyperattention4j.kernel;

import static dev.hyperattention4j.kernel.TileSizes.Backward.KEY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Backward.QUERY_TILE;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact attention backward kernel for one worker. For a query tile (Br rows) and a key tile (Bc keys) it
 * recomputes the probabilities from the saved log-sum-exp (FlashAttention-2's backward),
 *
 * <pre>
 *   S = (s·Q)·Kᵀ;  P = exp(S − L)  (masked);  dP = dO·Vᵀ;  dS = P ∘ (dP − Δ)       with Δ = rowsum(dO ∘ O) − dL
 * </pre>
 *
 * and accumulates {@code dV += Pᵀ·dO}, {@code dK += dSᵀ·(s·Q)} and {@code dQ += dS·K}: five products of
 * Br×Bc×d multiply-adds per tile pair. Work is split by key-tile <em>chunk</em> (tile index mod the number of
 * chunks, see {@link #queryTile}), so dK and dV of a tile have one writer, and each chunk's dQ contribution goes to
 * its own partial buffer, reduced in chunk order afterwards: race-free and independent of the thread count.
 *
 * <p>Every product is a 4×4 register-blocked micro-kernel (4 rows × 4 vectors: 16 accumulators, 4 loads and a
 * broadcast, 21 of 32 registers): for S and dP the key index is the lane dimension (keys transposed per tile), for
 * the three gradient products the head dimension is. Vectors never cross a method boundary
 * (docs/DESIGN.md §9.3).
 * Scratch is O(tile²) and allocated once per worker.
 */
public final class BackwardKernel {
    static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    static final int LANES = SPECIES.length();

    private static final float LOG2E = 1.4426950408889634f;
    /** Upper clamp of the exp2 argument (only masked lanes exceed 0): keeps the exponent arithmetic in range. */
    private static final float EXP2_MAX = 126f;

    private final int paddedDim;
    private final float[] probs = new float[QUERY_TILE * KEY_BLOCK];     // S, then P
    private final float[] scoreGrads = new float[QUERY_TILE * KEY_BLOCK]; // dP, then dS
    private final float[] queryGradAcc;  // [Br][dp]
    private final int[] visible = new int[QUERY_TILE];
    private final float[] row;
    private final float[] add;

    public BackwardKernel(int dim) {
        this.paddedDim = (dim + LANES - 1) / LANES * LANES;
        this.queryGradAcc = new float[QUERY_TILE * paddedDim];
        this.row = new float[paddedDim];
        this.add = new float[paddedDim];
    }

    /** paddedDim floats of scratch for packing and reductions. */
    public float[] rowScratch() {
        return row;
    }

    /** A second paddedDim floats of scratch, for read-add-write of gradient rows. */
    public float[] addScratch() {
        return add;
    }

    /**
     * The work of key-tile chunk {@code chunk} (of {@code chunks}) for one query tile of the packed query head: for
     * every key tile {@code t ≡ chunk (mod chunks)} that the tile's rows see, in ascending order, accumulates
     * {@code dV_t += Pᵀ·dO} and {@code dK_t += dSᵀ·(s·Q)} into {@link BackwardInputs}' accumulators and
     * {@code dQ += dS·K} into a tile-local accumulator, which is then stored (unscaled) at
     * {@code partial[partialOffset ..]}, {@code rows × paddedDim} floats, zero when no tile was visible.
     *
     * <p>Only the unit of chunk {@code chunk} touches those key tiles' accumulators, so units of different chunks
     * never write the same memory. The causal mask is end-aligned: query i sees key j iff {@code j <= i + nk − nq}.
     */
    public void queryTile(BackwardInputs in, int queryTile, int chunk, int chunks, boolean causal,
                          float[] partial, int partialOffset) {
        int dp = paddedDim;
        java.util.Arrays.fill(queryGradAcc, 0f);
        int q0 = queryTile * QUERY_TILE;
        int rows = Math.min(QUERY_TILE, in.queryLength - q0);
        int rows4 = (rows + 3) & ~3;
        int offset = in.keyLength - in.queryLength;
        int lastKey = causal ? Math.min(in.keyLength - 1, q0 + rows - 1 + offset) : in.keyLength - 1;
        int qBase = q0 * dp;
        for (int tile = chunk; lastKey >= 0 && tile <= lastKey / KEY_BLOCK; tile += chunks) {
            int k0 = tile * KEY_BLOCK;
            int tileBase = tile * dp * KEY_BLOCK;
            scoreTile(in.queries, qBase, in.keysT, tileBase, probs, rows4);
            scoreTile(in.outputGrads, qBase, in.valuesT, tileBase, scoreGrads, rows4);
            softmaxGrad(in, q0, q0, rows4, k0, causal, offset);
            accumulateTransposed(probs, in.outputGrads, qBase, rows4, in.valueGrads, tileBase);
            accumulateTransposed(scoreGrads, in.queries, qBase, rows4, in.keyGrads, tileBase);
            accumulateRows(scoreGrads, rows4, in.keyRows, k0 * dp, Math.min(KEY_BLOCK, in.keyLength - k0),
                    queryGradAcc);
        }
        System.arraycopy(queryGradAcc, 0, partial, partialOffset, rows * dp);
    }

    /** out[r][0..Bc) = Σ_c a[aBase + r·dp + c] · bT[bBase + c·Bc + (0..Bc)] for r < rows (a multiple of 4). */
    private void scoreTile(float[] a, int aBase, float[] bT, int bBase, float[] out, int rows) {
        final int dp = paddedDim, bc = KEY_BLOCK, l = LANES;
        for (int r = 0; r < rows; r += 4) {
            FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c02 = c00, c03 = c00;
            FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
            FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            int a0 = aBase + r * dp;
            for (int c = 0; c < dp; c++) {
                int kb = bBase + c * bc;
                FloatVector k0 = FloatVector.fromArray(SPECIES, bT, kb);
                FloatVector k1 = FloatVector.fromArray(SPECIES, bT, kb + l);
                FloatVector k2 = FloatVector.fromArray(SPECIES, bT, kb + 2 * l);
                FloatVector k3 = FloatVector.fromArray(SPECIES, bT, kb + 3 * l);
                FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + c]);
                c00 = k0.fma(x, c00); c01 = k1.fma(x, c01); c02 = k2.fma(x, c02); c03 = k3.fma(x, c03);
                x = FloatVector.broadcast(SPECIES, a[a0 + dp + c]);
                c10 = k0.fma(x, c10); c11 = k1.fma(x, c11); c12 = k2.fma(x, c12); c13 = k3.fma(x, c13);
                x = FloatVector.broadcast(SPECIES, a[a0 + 2 * dp + c]);
                c20 = k0.fma(x, c20); c21 = k1.fma(x, c21); c22 = k2.fma(x, c22); c23 = k3.fma(x, c23);
                x = FloatVector.broadcast(SPECIES, a[a0 + 3 * dp + c]);
                c30 = k0.fma(x, c30); c31 = k1.fma(x, c31); c32 = k2.fma(x, c32); c33 = k3.fma(x, c33);
            }
            int o = r * bc;
            c00.intoArray(out, o); c01.intoArray(out, o + l); c02.intoArray(out, o + 2 * l); c03.intoArray(out, o + 3 * l);
            o += bc;
            c10.intoArray(out, o); c11.intoArray(out, o + l); c12.intoArray(out, o + 2 * l); c13.intoArray(out, o + 3 * l);
            o += bc;
            c20.intoArray(out, o); c21.intoArray(out, o + l); c22.intoArray(out, o + 2 * l); c23.intoArray(out, o + 3 * l);
            o += bc;
            c30.intoArray(out, o); c31.intoArray(out, o + l); c32.intoArray(out, o + 2 * l); c33.intoArray(out, o + 3 * l);
        }
    }

    /**
     * probs ← P = exp(S − L) with the mask applied; scoreGrads ← dS = P ∘ (dP − Δ). Query row {@code q0 + r} sees
     * the first {@code min(nk, q0 + r + offset + 1) − k0} keys of the tile (all {@code nk − k0} when not causal).
     */
    private void softmaxGrad(BackwardInputs in, int lseBase, int q0, int rows, int k0, boolean causal, int offset) {
        final int bc = KEY_BLOCK, l = LANES;
        for (int r = 0; r < rows; r++) {
            int end = causal ? Math.min(in.keyLength, q0 + r + offset + 1) : in.keyLength;
            visible[r] = Math.max(0, Math.min(bc, end - k0));
        }
        for (int r = 0; r < rows; r++) {
            FloatVector lse = FloatVector.broadcast(SPECIES, in.lse[lseBase + r]);
            FloatVector delta = FloatVector.broadcast(SPECIES, in.delta[lseBase + r]);
            int limit = visible[r];
            int o = r * bc;
            for (int v = 0; v < bc; v += l) {
                // p = exp(S − L) = 2^y with FastExp2's polynomial, inlined by hand (a vector helper would box): only
                // IEEE add/mul/fma, so the interpreter, C1 and C2 agree bit for bit, and faster than lanewise(EXP).
                FloatVector y = FloatVector.fromArray(SPECIES, probs, o + v).sub(lse).mul(LOG2E);
                VectorMask<Float> under = y.compare(VectorOperators.LT, FastExp2.MIN_ARG);
                y = y.blend(EXP2_MAX, y.compare(VectorOperators.GT, EXP2_MAX));
                FloatVector t = y.add(FastExp2.ROUND);
                FloatVector f = y.sub(t.sub(FastExp2.ROUND));
                FloatVector poly = f.fma(FastExp2.C6, FastExp2.C5);
                poly = poly.fma(f, FloatVector.broadcast(SPECIES, FastExp2.C4));
                poly = poly.fma(f, FloatVector.broadcast(SPECIES, FastExp2.C3));
                poly = poly.fma(f, FloatVector.broadcast(SPECIES, FastExp2.C2));
                poly = poly.fma(f, FloatVector.broadcast(SPECIES, FastExp2.C1));
                poly = poly.fma(f, FloatVector.broadcast(SPECIES, FastExp2.C0));
                IntVector exponent = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
                FloatVector p = ((FloatVector) poly.reinterpretAsInts().add(exponent).reinterpretAsFloats()).blend(0f, under);
                if (limit < bc) {
                    VectorMask<Float> m = SPECIES.indexInRange(v, limit);
                    p = FloatVector.zero(SPECIES).blend(p, m);
                }
                FloatVector dp = FloatVector.fromArray(SPECIES, scoreGrads, o + v);
                p.intoArray(probs, o + v);
                p.mul(dp.sub(delta)).intoArray(scoreGrads, o + v);
            }
        }
    }

    /**
     * acc[accBase + j·dp + c] += Σ_r w[r·Bc + j] · x[xBase + r·dp + c] for j < Bc, r < rows: dV += Pᵀ·dO and
     * dK += dSᵀ·Q. Accumulator rows are keys (4 consecutive weights per step), steps are query rows.
     */
    private void accumulateTransposed(float[] w, float[] x, int xBase, int rows, float[] acc, int accBase) {
        accumulate(w, 0, 1, KEY_BLOCK, x, xBase, rows, acc, accBase, KEY_BLOCK);
    }

    /**
     * acc[r][c] += Σ_j w[r·Bc + j] · k[kBase + j·dp + c] for r < rows, j < keys: dQ += dS·K. Accumulator rows are
     * query rows (weights Bc apart), steps are keys.
     */
    private void accumulateRows(float[] w, int rows, float[] k, int kBase, int keys, float[] acc) {
        accumulate(w, 0, KEY_BLOCK, 1, k, kBase, keys, acc, 0, rows);
    }

    /**
     * {@code accRows} (a multiple of 4) accumulator rows of the gradient products, in register blocks chosen by the
     * head dim: 4 rows × 4 vectors when the padded head dim is whole 4-vector blocks (d = 64, 128 at 16 lanes),
     * otherwise 8 rows × 2 vectors (d = 32 at 16 lanes: the 4 × 4 block would not fit and a 4 × 1 block does one
     * FMA per load). Every accumulator adds its terms in step order in every block shape, so the bits are the same.
     */
    private void accumulate(float[] w, int wBase, int wRow, int wStep, float[] x, int xBase, int steps, float[] acc,
                            int accBase, int accRows) {
        int r = 0;
        if (paddedDim % (4 * LANES) != 0) {
            for (; r + 8 <= accRows; r += 8) {
                accumulate8(w, wBase + r * wRow, wRow, wStep, x, xBase, steps, acc, accBase + r * paddedDim);
            }
        }
        for (; r < accRows; r += 4) {
            accumulate4(w, wBase + r * wRow, wRow, wStep, x, xBase, steps, acc, accBase + r * paddedDim);
        }
    }

    /**
     * As {@link #accumulate4} for 8 accumulator rows, the columns in blocks of 2 vectors (16 accumulators, 2 loads
     * and 8 broadcasts per step) and a last block of 1 vector.
     */
    private void accumulate8(float[] w, int wBase, int wRow, int wStep, float[] x, int xBase, int steps, float[] acc,
                             int accBase) {
        final int dp = paddedDim, l = LANES;
        final int a0 = accBase, a1 = a0 + dp, a2 = a1 + dp, a3 = a2 + dp;
        final int a4 = a3 + dp, a5 = a4 + dp, a6 = a5 + dp, a7 = a6 + dp;
        final int w1 = wRow, w2 = 2 * wRow, w3 = 3 * wRow, w4 = 4 * wRow, w5 = 5 * wRow, w6 = 6 * wRow,
                w7 = 7 * wRow;
        int c = 0;
        for (; c + 2 * l <= dp; c += 2 * l) {
            FloatVector c00 = FloatVector.fromArray(SPECIES, acc, a0 + c);
            FloatVector c01 = FloatVector.fromArray(SPECIES, acc, a0 + c + l);
            FloatVector c10 = FloatVector.fromArray(SPECIES, acc, a1 + c);
            FloatVector c11 = FloatVector.fromArray(SPECIES, acc, a1 + c + l);
            FloatVector c20 = FloatVector.fromArray(SPECIES, acc, a2 + c);
            FloatVector c21 = FloatVector.fromArray(SPECIES, acc, a2 + c + l);
            FloatVector c30 = FloatVector.fromArray(SPECIES, acc, a3 + c);
            FloatVector c31 = FloatVector.fromArray(SPECIES, acc, a3 + c + l);
            FloatVector c40 = FloatVector.fromArray(SPECIES, acc, a4 + c);
            FloatVector c41 = FloatVector.fromArray(SPECIES, acc, a4 + c + l);
            FloatVector c50 = FloatVector.fromArray(SPECIES, acc, a5 + c);
            FloatVector c51 = FloatVector.fromArray(SPECIES, acc, a5 + c + l);
            FloatVector c60 = FloatVector.fromArray(SPECIES, acc, a6 + c);
            FloatVector c61 = FloatVector.fromArray(SPECIES, acc, a6 + c + l);
            FloatVector c70 = FloatVector.fromArray(SPECIES, acc, a7 + c);
            FloatVector c71 = FloatVector.fromArray(SPECIES, acc, a7 + c + l);
            for (int t = 0; t < steps; t++) {
                int xb = xBase + t * dp + c, wb = wBase + t * wStep;
                FloatVector x0 = FloatVector.fromArray(SPECIES, x, xb);
                FloatVector x1 = FloatVector.fromArray(SPECIES, x, xb + l);
                FloatVector y = FloatVector.broadcast(SPECIES, w[wb]);
                c00 = x0.fma(y, c00); c01 = x1.fma(y, c01);
                y = FloatVector.broadcast(SPECIES, w[wb + w1]);
                c10 = x0.fma(y, c10); c11 = x1.fma(y, c11);
                y = FloatVector.broadcast(SPECIES, w[wb + w2]);
                c20 = x0.fma(y, c20); c21 = x1.fma(y, c21);
                y = FloatVector.broadcast(SPECIES, w[wb + w3]);
                c30 = x0.fma(y, c30); c31 = x1.fma(y, c31);
                y = FloatVector.broadcast(SPECIES, w[wb + w4]);
                c40 = x0.fma(y, c40); c41 = x1.fma(y, c41);
                y = FloatVector.broadcast(SPECIES, w[wb + w5]);
                c50 = x0.fma(y, c50); c51 = x1.fma(y, c51);
                y = FloatVector.broadcast(SPECIES, w[wb + w6]);
                c60 = x0.fma(y, c60); c61 = x1.fma(y, c61);
                y = FloatVector.broadcast(SPECIES, w[wb + w7]);
                c70 = x0.fma(y, c70); c71 = x1.fma(y, c71);
            }
            c00.intoArray(acc, a0 + c); c01.intoArray(acc, a0 + c + l);
            c10.intoArray(acc, a1 + c); c11.intoArray(acc, a1 + c + l);
            c20.intoArray(acc, a2 + c); c21.intoArray(acc, a2 + c + l);
            c30.intoArray(acc, a3 + c); c31.intoArray(acc, a3 + c + l);
            c40.intoArray(acc, a4 + c); c41.intoArray(acc, a4 + c + l);
            c50.intoArray(acc, a5 + c); c51.intoArray(acc, a5 + c + l);
            c60.intoArray(acc, a6 + c); c61.intoArray(acc, a6 + c + l);
            c70.intoArray(acc, a7 + c); c71.intoArray(acc, a7 + c + l);
        }
        for (; c < dp; c += l) {
            FloatVector c0 = FloatVector.fromArray(SPECIES, acc, a0 + c);
            FloatVector c1 = FloatVector.fromArray(SPECIES, acc, a1 + c);
            FloatVector c2 = FloatVector.fromArray(SPECIES, acc, a2 + c);
            FloatVector c3 = FloatVector.fromArray(SPECIES, acc, a3 + c);
            FloatVector c4 = FloatVector.fromArray(SPECIES, acc, a4 + c);
            FloatVector c5 = FloatVector.fromArray(SPECIES, acc, a5 + c);
            FloatVector c6 = FloatVector.fromArray(SPECIES, acc, a6 + c);
            FloatVector c7 = FloatVector.fromArray(SPECIES, acc, a7 + c);
            for (int t = 0; t < steps; t++) {
                FloatVector x0 = FloatVector.fromArray(SPECIES, x, xBase + t * dp + c);
                int wb = wBase + t * wStep;
                c0 = x0.fma(FloatVector.broadcast(SPECIES, w[wb]), c0);
                c1 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w1]), c1);
                c2 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w2]), c2);
                c3 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w3]), c3);
                c4 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w4]), c4);
                c5 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w5]), c5);
                c6 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w6]), c6);
                c7 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + w7]), c7);
            }
            c0.intoArray(acc, a0 + c); c1.intoArray(acc, a1 + c); c2.intoArray(acc, a2 + c); c3.intoArray(acc, a3 + c);
            c4.intoArray(acc, a4 + c); c5.intoArray(acc, a5 + c); c6.intoArray(acc, a6 + c); c7.intoArray(acc, a7 + c);
        }
    }

    /**
     * The micro-kernel of both gradient products: for accumulator rows i < 4 and every column,
     * {@code acc[accBase + i·dp + c] += Σ_{t < steps} w[wBase + i·wRow + t·wStep] · x[xBase + t·dp + c]}, each
     * accumulator's terms added in step order. 4 rows × 4 vectors in registers (16 accumulators, 4 loads, one
     * broadcast); head dims that are not a multiple of 4 vectors end in 4 × 1 blocks.
     */
    private void accumulate4(float[] w, int wBase, int wRow, int wStep, float[] x, int xBase, int steps, float[] acc,
                             int accBase) {
        final int dp = paddedDim, l = LANES;
        final int wide = dp / (4 * l) * (4 * l);
        final int a0 = accBase, a1 = a0 + dp, a2 = a1 + dp, a3 = a2 + dp;
        for (int c = 0; c < wide; c += 4 * l) {
            FloatVector c00 = FloatVector.fromArray(SPECIES, acc, a0 + c);
            FloatVector c01 = FloatVector.fromArray(SPECIES, acc, a0 + c + l);
            FloatVector c02 = FloatVector.fromArray(SPECIES, acc, a0 + c + 2 * l);
            FloatVector c03 = FloatVector.fromArray(SPECIES, acc, a0 + c + 3 * l);
            FloatVector c10 = FloatVector.fromArray(SPECIES, acc, a1 + c);
            FloatVector c11 = FloatVector.fromArray(SPECIES, acc, a1 + c + l);
            FloatVector c12 = FloatVector.fromArray(SPECIES, acc, a1 + c + 2 * l);
            FloatVector c13 = FloatVector.fromArray(SPECIES, acc, a1 + c + 3 * l);
            FloatVector c20 = FloatVector.fromArray(SPECIES, acc, a2 + c);
            FloatVector c21 = FloatVector.fromArray(SPECIES, acc, a2 + c + l);
            FloatVector c22 = FloatVector.fromArray(SPECIES, acc, a2 + c + 2 * l);
            FloatVector c23 = FloatVector.fromArray(SPECIES, acc, a2 + c + 3 * l);
            FloatVector c30 = FloatVector.fromArray(SPECIES, acc, a3 + c);
            FloatVector c31 = FloatVector.fromArray(SPECIES, acc, a3 + c + l);
            FloatVector c32 = FloatVector.fromArray(SPECIES, acc, a3 + c + 2 * l);
            FloatVector c33 = FloatVector.fromArray(SPECIES, acc, a3 + c + 3 * l);
            for (int t = 0; t < steps; t++) {
                int xb = xBase + t * dp + c, wb = wBase + t * wStep;
                FloatVector x0 = FloatVector.fromArray(SPECIES, x, xb);
                FloatVector x1 = FloatVector.fromArray(SPECIES, x, xb + l);
                FloatVector x2 = FloatVector.fromArray(SPECIES, x, xb + 2 * l);
                FloatVector x3 = FloatVector.fromArray(SPECIES, x, xb + 3 * l);
                FloatVector y = FloatVector.broadcast(SPECIES, w[wb]);
                c00 = x0.fma(y, c00); c01 = x1.fma(y, c01); c02 = x2.fma(y, c02); c03 = x3.fma(y, c03);
                y = FloatVector.broadcast(SPECIES, w[wb + wRow]);
                c10 = x0.fma(y, c10); c11 = x1.fma(y, c11); c12 = x2.fma(y, c12); c13 = x3.fma(y, c13);
                y = FloatVector.broadcast(SPECIES, w[wb + 2 * wRow]);
                c20 = x0.fma(y, c20); c21 = x1.fma(y, c21); c22 = x2.fma(y, c22); c23 = x3.fma(y, c23);
                y = FloatVector.broadcast(SPECIES, w[wb + 3 * wRow]);
                c30 = x0.fma(y, c30); c31 = x1.fma(y, c31); c32 = x2.fma(y, c32); c33 = x3.fma(y, c33);
            }
            c00.intoArray(acc, a0 + c); c01.intoArray(acc, a0 + c + l);
            c02.intoArray(acc, a0 + c + 2 * l); c03.intoArray(acc, a0 + c + 3 * l);
            c10.intoArray(acc, a1 + c); c11.intoArray(acc, a1 + c + l);
            c12.intoArray(acc, a1 + c + 2 * l); c13.intoArray(acc, a1 + c + 3 * l);
            c20.intoArray(acc, a2 + c); c21.intoArray(acc, a2 + c + l);
            c22.intoArray(acc, a2 + c + 2 * l); c23.intoArray(acc, a2 + c + 3 * l);
            c30.intoArray(acc, a3 + c); c31.intoArray(acc, a3 + c + l);
            c32.intoArray(acc, a3 + c + 2 * l); c33.intoArray(acc, a3 + c + 3 * l);
        }
        for (int c = wide; c < dp; c += l) {
            FloatVector c0 = FloatVector.fromArray(SPECIES, acc, a0 + c);
            FloatVector c1 = FloatVector.fromArray(SPECIES, acc, a1 + c);
            FloatVector c2 = FloatVector.fromArray(SPECIES, acc, a2 + c);
            FloatVector c3 = FloatVector.fromArray(SPECIES, acc, a3 + c);
            for (int t = 0; t < steps; t++) {
                FloatVector x0 = FloatVector.fromArray(SPECIES, x, xBase + t * dp + c);
                int wb = wBase + t * wStep;
                c0 = x0.fma(FloatVector.broadcast(SPECIES, w[wb]), c0);
                c1 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + wRow]), c1);
                c2 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + 2 * wRow]), c2);
                c3 = x0.fma(FloatVector.broadcast(SPECIES, w[wb + 3 * wRow]), c3);
            }
            c0.intoArray(acc, a0 + c); c1.intoArray(acc, a1 + c); c2.intoArray(acc, a2 + c); c3.intoArray(acc, a3 + c);
        }
    }
}
