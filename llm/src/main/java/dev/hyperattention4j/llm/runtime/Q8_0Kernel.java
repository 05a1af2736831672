package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0: blocks of 32 = f16 scale d + 32 int8 q; weight = d·q (expanded tile). The row loop is not shared with
 * {@link Q4_0Kernel}'s on purpose: one shared loop (a base class calling each type's block decoder, or one class
 * testing a final type flag) ran 7× slower, as the two decoders' vector results meet in a phi that C2 boxes
 * (docs/QUANT-KERNELS.md).
 */
final class Q8_0Kernel extends BlockKernel {
    static final Q8_0Kernel INSTANCE = new Q8_0Kernel();
    private static final int BYTES = 34;

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p);
            for (int h = 0; h < 2; h++) {
                // the Vector API directly, no helper of ours: a vector passed to a call that C2 does not inline is
                // boxed (docs/QUANT-KERNELS.md)
                var q = ByteVector.fromMemorySegment(B16, w, p + 2 + 16 * h, LE);
                for (int j = 0; j < PARTS; j++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, S, j)).mul(d)
                            .intoArray(dst, off + 32 * b + 16 * h + W * j);
                }
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p);
            for (int i = 0; i < 32; i++) {
                dst[off + 32 * b + i] = (float) w.get(I8, p + 2 + i) * d;
            }
        }
    }

    /**
     * Decode order: per block, t = Σ q·x over its 32 weights lane-wise (chunks of W in column order, the first a
     * product, then FMAs), then acc = fma(t, d, acc): the scale is applied once per block, not per weight. Even and
     * odd blocks feed two accumulators (two independent FMA chains), added lane-wise at the end. The loop counts
     * block pairs with a plain counter (a test like {@code b + 2 <= blocks} is not a counted loop for C2, which then
     * keeps every bounds check and a safepoint poll per iteration), and the block code is written out in the loop
     * (no vector crosses a call: docs/QUANT-KERNELS.md).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        int blocks = cols / 32;
        for (int i = 0; i < blocks / 2; i++) {
            long p = row + 2L * BYTES * i;
            int k = xOff + 64 * i;
            var q = ByteVector.fromMemorySegment(B16, w, p + 2, LE);
            FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, 0))
                    .mul(FloatVector.fromArray(S, x, k));
            for (int j = 1; j < PARTS; j++) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, j))
                        .fma(FloatVector.fromArray(S, x, k + W * j), t);
            }
            q = ByteVector.fromMemorySegment(B16, w, p + 18, LE);
            for (int j = 0; j < PARTS; j++) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, j))
                        .fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
            }
            a0 = t.fma(FloatVector.broadcast(S, half(w, p)), a0);
            q = ByteVector.fromMemorySegment(B16, w, p + BYTES + 2, LE);
            t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, 0))
                    .mul(FloatVector.fromArray(S, x, k + 32));
            for (int j = 1; j < PARTS; j++) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, j))
                        .fma(FloatVector.fromArray(S, x, k + 32 + W * j), t);
            }
            q = ByteVector.fromMemorySegment(B16, w, p + BYTES + 18, LE);
            for (int j = 0; j < PARTS; j++) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, j))
                        .fma(FloatVector.fromArray(S, x, k + 48 + W * j), t);
            }
            a1 = t.fma(FloatVector.broadcast(S, half(w, p + BYTES)), a1);
        }
        if (blocks % 2 != 0) {
            int b = blocks - 1, k = xOff + 32 * b;
            long p = row + (long) BYTES * b;
            var q = ByteVector.fromMemorySegment(B16, w, p + 2, LE);
            FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, 0))
                    .mul(FloatVector.fromArray(S, x, k));
            for (int j = 1; j < PARTS; j++) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, j))
                        .fma(FloatVector.fromArray(S, x, k + W * j), t);
            }
            q = ByteVector.fromMemorySegment(B16, w, p + 18, LE);
            for (int j = 0; j < PARTS; j++) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, S, j))
                        .fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
            }
            a0 = t.fma(FloatVector.broadcast(S, half(w, p)), a0);
        }
        a0.add(a1).intoArray(lanes, laneOff);
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 32;
        for (int l = 0; l < W; l++) {
            float a0 = 0f, a1 = 0f;
            for (int b = 0; b < blocks; b++) {
                long p = row + (long) BYTES * b + 2;
                int k = xOff + 32 * b + l;
                float t = (float) w.get(I8, p + l) * x[k];
                for (int c = W; c < 32; c += W) {
                    t = Math.fma((float) w.get(I8, p + c + l), x[k + c], t);
                }
                float d = half(w, p - 2);
                if ((b & 1) == 0) {
                    a0 = Math.fma(t, d, a0);
                } else {
                    a1 = Math.fma(t, d, a1);
                }
            }
            scratch[l] = a0 + a1;
        }
        return Vectors.sumLanes(scratch, 0);
    }
}
