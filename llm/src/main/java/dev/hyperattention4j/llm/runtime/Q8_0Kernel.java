package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Q8_0: blocks of 32 = f16 scale d + 32 int8 q; weight = d·q. The pair-of-rows loop repeats {@link Q4_0Kernel}'s on
 * purpose: one shared loop (a base class calling each type's block decoder, or one class testing a final type flag)
 * ran 7× slower, as the two decoders' vector results meet in a phi that C2 boxes (docs/QUANT-KERNELS.md).
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
                var q = bytes(w, p + 2 + 16 * h);
                for (int j = 0; j < PARTS; j++) {
                    widen(q, j).mul(d).intoArray(dst, off + 32 * b + 16 * h + W * j);
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

    @Override
    void pair(MemorySegment w, long row, long rowBytes, float[] x, int xOff, int cols, float[] lanes, int lanesOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int b = 0; b < cols / 32; b++) {
            long p = row + (long) BYTES * b;
            int k = xOff + 32 * b;
            a0 = block(w, p, x, k, a0);
            a1 = block(w, p + rowBytes, x, k, a1);
        }
        a0.intoArray(lanes, lanesOff);
        a1.intoArray(lanes, lanesOff + W);
    }

    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes) {
        FloatVector a = FloatVector.zero(S);
        for (int b = 0; b < cols / 32; b++) {
            a = block(w, row + (long) BYTES * b, x, xOff + 32 * b, a);
        }
        a.intoArray(lanes, 0);
    }

    private static FloatVector block(MemorySegment w, long p, float[] x, int k, FloatVector acc) {
        float d = half(w, p);
        for (int h = 0; h < 2; h++) {
            var q = bytes(w, p + 2 + 16 * h);
            for (int j = 0; j < PARTS; j++) {
                acc = widen(q, j).mul(d).fma(FloatVector.fromArray(S, x, k + 16 * h + W * j), acc);
            }
        }
        return acc;
    }
}
