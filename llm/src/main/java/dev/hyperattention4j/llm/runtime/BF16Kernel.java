package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** BF16 weights kept in their 2 bytes: a bf16 value is the upper half of a float32, so widening is a shift. */
final class BF16Kernel extends BlockKernel {
    static final BF16Kernel INSTANCE = new BF16Kernel();
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * W));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    static FloatVector load(MemorySegment w, long p) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, p, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static float scalar(MemorySegment w, long p) {
        return Float.intBitsToFloat(w.get(I16, p) << 16);
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        int bound = S.loopBound(cols), k = 0;
        for (; k < bound; k += W) {
            load(w, row + 2L * k).intoArray(dst, off + k);
        }
        for (; k < cols; k++) {
            dst[off + k] = scalar(w, row + 2L * k);
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int k = 0; k < cols; k++) {
            dst[off + k] = scalar(w, row + 2L * k);
        }
    }

    @Override
    void dot(MemorySegment w, long row, long rowBytes, int n, float[] x, int xOff, int cols, float[] out, int outOff,
             float[] lanes) {
        int bound = S.loopBound(cols);
        if (n == 4) {
            dot2(w, row, rowBytes, x, xOff, bound, lanes, 0);
            dot2(w, row + 2 * rowBytes, rowBytes, x, xOff, bound, lanes, 2 * W);
            for (int r = 0; r < 4; r++) {
                out[outOff + r] = tail(w, row + r * rowBytes, x, xOff, bound, cols, Vectors.sumLanes(lanes, r * W));
            }
            return;
        }
        for (int r = 0; r < n; r++) {
            dot1(w, row + r * rowBytes, x, xOff, bound, lanes);
            out[outOff + r] = tail(w, row + r * rowBytes, x, xOff, bound, cols, Vectors.sumLanes(lanes, 0));
        }
    }

    private static void dot2(MemorySegment w, long row, long rowBytes, float[] x, int xOff, int bound, float[] lanes,
                             int lanesOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int k = 0; k < bound; k += W) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + k);
            long p = row + 2L * k;
            a0 = load(w, p).fma(xv, a0);
            a1 = load(w, p + rowBytes).fma(xv, a1);
        }
        a0.intoArray(lanes, lanesOff);
        a1.intoArray(lanes, lanesOff + W);
    }

    private static void dot1(MemorySegment w, long row, float[] x, int xOff, int bound, float[] lanes) {
        FloatVector a = FloatVector.zero(S);
        for (int k = 0; k < bound; k += W) {
            a = load(w, row + 2L * k).fma(FloatVector.fromArray(S, x, xOff + k), a);
        }
        a.intoArray(lanes, 0);
    }

    private static float tail(MemorySegment w, long row, float[] x, int xOff, int from, int cols, float sum) {
        for (int k = from; k < cols; k++) {
            sum = Math.fma(scalar(w, row + 2L * k), x[xOff + k], sum);
        }
        return sum;
    }
}
