package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Q4_0: blocks of 32 = f16 scale d + 16 bytes; byte i holds q[i] (low nibble) and q[i+16]; weight = d·(q − 8). */
final class Q4_0Kernel extends BlockKernel {
    static final Q4_0Kernel INSTANCE = new Q4_0Kernel();
    private static final int BYTES = 18;

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p);
            // the Vector API directly, no helper of ours (a vector crossing a call C2 does not inline is boxed)
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 2, LE);
            ByteVector lo = q.and((byte) 0x0f).sub((byte) 8), hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            for (int j = 0; j < PARTS; j++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, S, j)).mul(d).intoArray(dst, off + 32 * b + W * j);
            }
            for (int j = 0; j < PARTS; j++) {
                ((FloatVector) hi.convertShape(VectorOperators.B2F, S, j)).mul(d)
                        .intoArray(dst, off + 32 * b + 16 + W * j);
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p);
            for (int i = 0; i < 16; i++) {
                int q = w.get(I8, p + 2 + i) & 0xff;
                dst[off + 32 * b + i] = (float) ((q & 0x0f) - 8) * d;
                dst[off + 32 * b + 16 + i] = (float) ((q >>> 4) - 8) * d;
            }
        }
    }

    /**
     * Decode order: one accumulator, a weight as (q − 8)·d fed in column order (the prefill tile's order). The
     * block's code is written out in the loop: no vector crosses a call (docs/QUANT-KERNELS.md).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        FloatVector a = FloatVector.zero(S);
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            int k = xOff + 32 * b;
            float d = half(w, p);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 2, LE);
            ByteVector lo = q.and((byte) 0x0f).sub((byte) 8), hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            for (int j = 0; j < PARTS; j++) {
                a = ((FloatVector) lo.convertShape(VectorOperators.B2F, S, j)).mul(d)
                        .fma(FloatVector.fromArray(S, x, k + W * j), a);
            }
            for (int j = 0; j < PARTS; j++) {
                a = ((FloatVector) hi.convertShape(VectorOperators.B2F, S, j)).mul(d)
                        .fma(FloatVector.fromArray(S, x, k + 16 + W * j), a);
            }
        }
        a.intoArray(lanes, laneOff);
    }
}
