package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_0 (and, with {@code hasMin}, Q5_1): blocks of 32 = f16 d (Q5_1: then f16 m), a 32-bit word of fifth bits,
 * 16 bytes of nibbles; weight j (j &lt; 16) = low nibble of byte j plus bit j of the word as 16, weight j + 16 the
 * high nibble plus bit j + 16. Q5_0: d·(q − 16); Q5_1: d·q + m, as the reference decoders compute them. The
 * K-quant presets fall back to these types for rows that are not a multiple of 256 (Qwen2.5 0.5B's 896 columns).
 * Single tokens are decoded in registers ({@link #single}); Q5_1's block mins are summed as Q4_1's are.
 */
final class Q5_0Kernel extends BlockKernel {
    static final Q5_0Kernel Q5_0 = new Q5_0Kernel(false);
    static final Q5_0Kernel Q5_1 = new Q5_0Kernel(true);
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /** Bit positions of the lanes of each part: 0, 1, ..., 15. */
    private static final int[] LANE = java.util.stream.IntStream.range(0, 16).toArray();

    private final boolean hasMin;
    private final int bytes, qh, qs;

    private Q5_0Kernel(boolean hasMin) {
        this.hasMin = hasMin;
        this.bytes = hasMin ? 24 : 22;
        this.qh = hasMin ? 4 : 2;
        this.qs = hasMin ? 8 : 6;
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) bytes * b;
            float d = half(w, p), m = hasMin ? half(w, p + 2) : 0f;
            int h = w.get(I32, p + qh);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + qs, LE);
            for (int j = 0; j < PARTS; j++) {
                IntVector qi = (IntVector) q.convertShape(VectorOperators.B2I, INTS, j);
                IntVector bit = IntVector.fromArray(INTS, LANE, W * j);
                IntVector hv = IntVector.broadcast(INTS, h);
                IntVector lo = qi.and(15).or(hv.lanewise(VectorOperators.LSHR, bit).and(1).lanewise(VectorOperators.LSHL, 4));
                IntVector hi = qi.lanewise(VectorOperators.ASHR, 4).and(15)
                        .or(hv.lanewise(VectorOperators.LSHR, bit.add(16)).and(1).lanewise(VectorOperators.LSHL, 4));
                int o = off + 32 * b + W * j;
                if (hasMin) {
                    ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, o);
                    ((FloatVector) hi.convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, o + 16);
                } else {
                    ((FloatVector) lo.sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o);
                    ((FloatVector) hi.sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o + 16);
                }
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) bytes * b;
            float d = half(w, p), m = hasMin ? half(w, p + 2) : 0f;
            int h = w.get(I32, p + qh);
            for (int j = 0; j < 16; j++) {
                int q = w.get(I8, p + qs + j) & 0xff;
                int lo = (q & 15) | (h >>> j & 1) << 4, hi = (q >>> 4) | (h >>> j + 16 & 1) << 4;
                int o = off + 32 * b + j;
                if (hasMin) {
                    dst[o] = (float) lo * d + m;
                    dst[o + 16] = (float) hi * d + m;
                } else {
                    dst[o] = (float) (lo - 16) * d;
                    dst[o + 16] = (float) (hi - 16) * d;
                }
            }
        }
    }

    /** Q5_1: the block sums of x and room for the row's block mins, as {@link Q4_1Kernel#prepared}. */
    @Override
    int prepared(int cols) {
        return hasMin ? 2 * Q4_1Kernel.padded(cols) : 0;
    }

    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        if (hasMin) {
            Q4_1Kernel.blockSums(x, xOff, cols, scratch);
        }
    }

    @Override
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
        if (hasMin) {
            Q4_1Kernel.blockSumsScalar(x, xOff, cols, scratch);
        }
    }

    /** Per column c of a block: rotating the fifth-bit word right by this moves bit c to bit 4. */
    private static final int[] ROTATE = java.util.stream.IntStream.range(0, 32).map(c -> (c - 4) & 31).toArray();

    /**
     * Q5_0 decode order: per block, t = Σ (q − 16)·x lane-wise (chunks of W in column order, the first a product),
     * then acc = fma(t, d, acc), one accumulator. q − 16 is the nibble minus 16 where the fifth bit is clear, cut from
     * the complement of the fifth-bit word rotated per lane (no compare, no blend). The block's code is written out in
     * the loop: no vector crosses a call (docs/QUANT-KERNELS.md).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        if (hasMin) {
            singleWithMin(w, row, x, xOff, cols, lanes, laneOff);
            return;
        }
        FloatVector a = FloatVector.zero(S);
        for (int b = 0; b < cols / 32; b++) {
            long p = row + 22L * b;
            int k = xOff + 32 * b;
            IntVector clear = IntVector.broadcast(INTS, ~w.get(I32, p + 2));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 6, LE);
            IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
            IntVector minus = clear.lanewise(VectorOperators.ROR, IntVector.fromArray(INTS, ROTATE, 0)).and(16);
            FloatVector t = ((FloatVector) qi.and(15).sub(minus).convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.fromArray(S, x, k));
            for (int j = 1; j < PARTS; j++) {
                qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                minus = clear.lanewise(VectorOperators.ROR, IntVector.fromArray(INTS, ROTATE, W * j)).and(16);
                t = ((FloatVector) qi.and(15).sub(minus).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, x, k + W * j), t);
            }
            for (int j = 0; j < PARTS; j++) {
                qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                minus = clear.lanewise(VectorOperators.ROR, IntVector.fromArray(INTS, ROTATE, 16 + W * j)).and(16);
                t = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).sub(minus).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
            }
            a = t.fma(FloatVector.broadcast(S, half(w, p)), a);
        }
        a.intoArray(lanes, laneOff);
    }

    /**
     * Q5_1 decode order, Q4_1's with five-bit quants: per block, t = Σ q·x lane-wise (chunks of W in column order,
     * the first a product; q = nibble | fifth bit · 16, the bit moved to bit 4 by rotating the word per lane), then
     * a = fma(t, d, a); the block's min m goes to scratch next to the block sums of x, and after the loop
     * n = fma(m, Σx, n) over the blocks W at a time (zeros past the last block); the lanes end as a + n.
     */
    private void singleWithMin(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int blocks = cols / 32, pad = Q4_1Kernel.padded(cols), s0 = LANES + pad;
        FloatVector a = FloatVector.zero(S);
        for (int b = 0; b < blocks; b++) {
            long p = row + 24L * b;
            int k = xOff + 32 * b;
            IntVector high = IntVector.broadcast(INTS, w.get(I32, p + 4));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 8, LE);
            IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
            IntVector fifth = high.lanewise(VectorOperators.ROR, IntVector.fromArray(INTS, ROTATE, 0)).and(16);
            FloatVector t = ((FloatVector) qi.and(15).or(fifth).convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.fromArray(S, x, k));
            for (int j = 1; j < PARTS; j++) {
                qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                fifth = high.lanewise(VectorOperators.ROR, IntVector.fromArray(INTS, ROTATE, W * j)).and(16);
                t = ((FloatVector) qi.and(15).or(fifth).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, x, k + W * j), t);
            }
            for (int j = 0; j < PARTS; j++) {
                qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                fifth = high.lanewise(VectorOperators.ROR, IntVector.fromArray(INTS, ROTATE, 16 + W * j)).and(16);
                t = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).or(fifth).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
            }
            a = t.fma(FloatVector.broadcast(S, half(w, p)), a);
            lanes[s0 + b] = half(w, p + 2);
        }
        a.intoArray(lanes, laneOff);
        Q4_1Kernel.addMinTerms(lanes, blocks, pad, laneOff);
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        if (hasMin) {
            return dotScalarWithMin(w, row, x, xOff, cols, scratch);
        }
        for (int l = 0; l < W; l++) {
            float a = 0f;
            for (int b = 0; b < cols / 32; b++) {
                long p = row + 22L * b;
                int h = w.get(I32, p + 2);
                float t = 0f;
                for (int c = l; c < 32; c += W) {
                    int q = w.get(I8, p + 6 + (c & 15)) & 0xff;
                    int v = (c < 16 ? q & 15 : q >>> 4) | (h >>> c & 1) << 4;
                    float f = (float) (v - 16);
                    t = c == l ? f * x[xOff + 32 * b + c] : Math.fma(f, x[xOff + 32 * b + c], t);
                }
                a = Math.fma(t, half(w, p), a);
            }
            scratch[l] = a;
        }
        return Vectors.sumLanes(scratch, 0);
    }

    /** {@link #singleWithMin} and the lane sum with scalar code, lane by lane: the same bits. */
    private static float dotScalarWithMin(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 32;
        for (int l = 0; l < W; l++) {
            float a = 0f, n = 0f;
            for (int b = 0; b < blocks; b++) {
                long p = row + 24L * b;
                int h = w.get(I32, p + 4);
                int k = xOff + 32 * b;
                float t = 0f;
                for (int c = l; c < 32; c += W) {
                    int q = w.get(I8, p + 8 + (c & 15)) & 0xff;
                    float f = (float) ((c < 16 ? q & 15 : q >>> 4) | (h >>> c & 1) << 4);
                    t = c == l ? f * x[k + c] : Math.fma(f, x[k + c], t);
                }
                a = Math.fma(t, half(w, p), a);
            }
            for (int b = l; b < blocks; b += W) {
                n = Math.fma(half(w, row + 24L * b + 2), scratch[LANES + b], n);
            }
            scratch[l] = a + n;
        }
        return Vectors.sumLanes(scratch, 0);
    }
}
