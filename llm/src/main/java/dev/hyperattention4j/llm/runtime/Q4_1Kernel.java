package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_1: blocks of 32 = f16 scale d, f16 min m, 16 bytes of nibbles (weight j: the low nibble of byte j, weight
 * 16 + j: its high nibble); weight = d·q + m, as the reference decoder computes it.
 */
final class Q4_1Kernel extends BlockKernel {
    static final Q4_1Kernel INSTANCE = new Q4_1Kernel();
    private static final int BYTES = 20;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p), m = half(w, p + 2);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 4, LE);
            for (int j = 0; j < PARTS; j++) {
                IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                ((FloatVector) qi.and(15).convert(VectorOperators.I2F, 0)).mul(d).add(m)
                        .intoArray(dst, off + 32 * b + W * j);
                ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(d).add(m)
                        .intoArray(dst, off + 32 * b + 16 + W * j);
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p), m = half(w, p + 2);
            for (int i = 0; i < 16; i++) {
                int q = w.get(I8, p + 4 + i) & 0xff;
                dst[off + 32 * b + i] = d * (q & 0x0f) + m;
                dst[off + 32 * b + 16 + i] = d * (q >>> 4) + m;
            }
        }
    }

    /** Blocks rounded up to whole vectors. */
    static int padded(int cols) {
        return (cols / 32 + W - 1) / W * W;
    }

    /** The block sums of x (zero past the last block), then as many floats for the row's block mins. */
    @Override
    int prepared(int cols) {
        return 2 * padded(cols);
    }

    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        blockSums(x, xOff, cols, scratch);
    }

    @Override
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
        blockSumsScalar(x, xOff, cols, scratch);
    }

    /**
     * Σ x per block of 32 to {@code scratch[LANES ..]}, zeros up to {@link #padded}: 32/W chunks added lane-wise in
     * column order, then the lanes by {@link Vectors#sumLanes} (shared by the types with a block min, Q4_1 and Q5_1).
     */
    static void blockSums(float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 32;
        for (int j = 0; j < blocks; j++) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + 32 * j);
            for (int c = W; c < 32; c += W) {
                v = v.add(FloatVector.fromArray(S, x, xOff + 32 * j + c));
            }
            v.intoArray(scratch, 0);
            scratch[LANES + j] = Vectors.sumLanes(scratch, 0);
        }
        java.util.Arrays.fill(scratch, LANES + blocks, LANES + padded(cols), 0f);
    }

    /** {@link #blockSums} with scalar code: the same bits. */
    static void blockSumsScalar(float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 32;
        for (int j = 0; j < blocks; j++) {
            for (int l = 0; l < W; l++) {
                float v = x[xOff + 32 * j + l];
                for (int c = W; c < 32; c += W) {
                    v += x[xOff + 32 * j + c + l];
                }
                scratch[l] = v;
            }
            scratch[LANES + j] = Vectors.sumLanes(scratch, 0);
        }
        java.util.Arrays.fill(scratch, LANES + blocks, LANES + padded(cols), 0f);
    }

    /**
     * Decode order: a block's part of the dot is d·Σ q·x + m·Σ x. Per block, t = Σ q·x lane-wise (chunks of W in
     * column order, the first a product, then FMAs; low nibbles, then high), a = fma(t, d, a), and m goes to the
     * scratch next to the block sums of x from {@link #prepare}; after the loop the min terms are summed lane-wise,
     * n = fma(m, Σx, n) over the blocks W at a time (zeros past the last block), and the lanes end as a + n. No vector
     * crosses a call (docs/QUANT-KERNELS.md).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int blocks = cols / 32, pad = padded(cols), s0 = LANES + pad;
        FloatVector a = FloatVector.zero(S);
        for (int b = 0; b < blocks; b++) {
            long p = row + (long) BYTES * b;
            int k = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 4, LE);
            IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
            FloatVector t = ((FloatVector) qi.and(15).convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.fromArray(S, x, k));
            for (int j = 1; j < PARTS; j++) {
                qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                t = ((FloatVector) qi.and(15).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, x, k + W * j), t);
            }
            for (int j = 0; j < PARTS; j++) {
                qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                t = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
            }
            a = t.fma(FloatVector.broadcast(S, half(w, p)), a);
            lanes[s0 + b] = half(w, p + 2);
        }
        a.intoArray(lanes, laneOff);
        addMinTerms(lanes, blocks, pad, laneOff);
    }

    /**
     * The min terms of a row's decode, added to its lanes {@code lanes[laneOff ..+ W)}: the blocks' mins sit at
     * {@code lanes[LANES + pad ..]} next to the block sums of x at {@code lanes[LANES ..]}; n = fma(m, Σx, n) over
     * the blocks W at a time (zeros past the last block), then the lanes become a + n. Once per row, after the block
     * loop: no vector crosses the call.
     */
    static void addMinTerms(float[] lanes, int blocks, int pad, int laneOff) {
        int s0 = LANES + pad;
        java.util.Arrays.fill(lanes, s0 + blocks, s0 + pad, 0f);
        FloatVector n = FloatVector.zero(S);
        for (int i = 0; i < pad; i += W) {
            n = FloatVector.fromArray(S, lanes, s0 + i).fma(FloatVector.fromArray(S, lanes, LANES + i), n);
        }
        FloatVector.fromArray(S, lanes, laneOff).add(n).intoArray(lanes, laneOff);
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 32;
        for (int l = 0; l < W; l++) {
            float a = 0f, n = 0f;
            for (int b = 0; b < blocks; b++) {
                long p = row + (long) BYTES * b;
                int k = xOff + 32 * b + l;
                float t = 0f;
                for (int c = l; c < 32; c += W) {
                    int q = w.get(I8, p + 4 + (c & 15)) & 0xff;
                    float f = (float) (c < 16 ? q & 15 : q >>> 4);
                    t = c == l ? f * x[k] : Math.fma(f, x[k + c - l], t);
                }
                a = Math.fma(t, half(w, p), a);
            }
            for (int b = l; b < blocks; b += W) {
                n = Math.fma(half(w, row + (long) BYTES * b + 2), scratch[LANES + b], n);
            }
            scratch[l] = a + n;
        }
        return Vectors.sumLanes(scratch, 0);
    }
}
