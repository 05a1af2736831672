package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 weights kept in their 2 bytes (widening them to float panels at load time doubled the memory and the bytes a
 * decode step streams). The Vector API has no half-float conversion, so the bits are moved: the 15 magnitude bits
 * shifted into a float's exponent/mantissa position, times 2^112 (exact for normal and subnormal halves), infinity
 * and NaN (exponent 31) get the float exponent 255, then the sign bit. Equal to {@link Float#float16ToFloat}.
 */
final class F16Kernel extends BlockKernel {
    static final F16Kernel INSTANCE = new F16Kernel();
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * W));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    static FloatVector load(MemorySegment w, long p) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, p, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector mag = h.and(0x7fff);
        IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x80000000)).reinterpretAsFloats();
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        int bound = S.loopBound(cols), k = 0;
        for (; k < bound; k += W) {
            load(w, row + 2L * k).intoArray(dst, off + k);
        }
        for (; k < cols; k++) {
            dst[off + k] = half(w, row + 2L * k);
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int k = 0; k < cols; k++) {
            dst[off + k] = half(w, row + 2L * k);
        }
    }

    @Override
    void dot(MemorySegment w, long row, long rowBytes, int n, float[] x, int xOff, int cols, float[] out, int outOff) {
        int bound = S.loopBound(cols);
        if (n == 4) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int k = 0; k < bound; k += W) {
                FloatVector xv = FloatVector.fromArray(S, x, xOff + k);
                long p = row + 2L * k;
                a0 = load(w, p).fma(xv, a0);
                a1 = load(w, p + rowBytes).fma(xv, a1);
                a2 = load(w, p + 2 * rowBytes).fma(xv, a2);
                a3 = load(w, p + 3 * rowBytes).fma(xv, a3);
            }
            out[outOff] = tail(w, row, x, xOff, bound, cols, Vectors.sum(a0));
            out[outOff + 1] = tail(w, row + rowBytes, x, xOff, bound, cols, Vectors.sum(a1));
            out[outOff + 2] = tail(w, row + 2 * rowBytes, x, xOff, bound, cols, Vectors.sum(a2));
            out[outOff + 3] = tail(w, row + 3 * rowBytes, x, xOff, bound, cols, Vectors.sum(a3));
            return;
        }
        for (int r = 0; r < n; r++) {
            FloatVector a = FloatVector.zero(S);
            long p = row + r * rowBytes;
            for (int k = 0; k < bound; k += W) {
                a = load(w, p + 2L * k).fma(FloatVector.fromArray(S, x, xOff + k), a);
            }
            out[outOff + r] = tail(w, p, x, xOff, bound, cols, Vectors.sum(a));
        }
    }

    private static float tail(MemorySegment w, long row, float[] x, int xOff, int from, int cols, float sum) {
        for (int k = from; k < cols; k++) {
            sum = Math.fma(half(w, row + 2L * k), x[xOff + k], sum);
        }
        return sum;
    }
}
