package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** Q8_0: blocks of 32 = f16 scale d + 32 int8 q; weight = d·q. */
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
    void dot(MemorySegment w, long row, long rowBytes, int n, float[] x, int xOff, int cols, float[] out, int outOff) {
        if (n == 4) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < cols / 32; b++) {
                long p = row + (long) BYTES * b;
                int k = xOff + 32 * b;
                a0 = block(w, p, x, k, a0);
                a1 = block(w, p + rowBytes, x, k, a1);
                a2 = block(w, p + 2 * rowBytes, x, k, a2);
                a3 = block(w, p + 3 * rowBytes, x, k, a3);
            }
            out[outOff] = Vectors.sum(a0);
            out[outOff + 1] = Vectors.sum(a1);
            out[outOff + 2] = Vectors.sum(a2);
            out[outOff + 3] = Vectors.sum(a3);
            return;
        }
        for (int r = 0; r < n; r++) {
            FloatVector a = FloatVector.zero(S);
            for (int b = 0; b < cols / 32; b++) {
                a = block(w, row + r * rowBytes + (long) BYTES * b, x, xOff + 32 * b, a);
            }
            out[outOff + r] = Vectors.sum(a);
        }
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
