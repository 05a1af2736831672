package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 and BF16 weights kept in their 2 bytes (widening them to float panels at load time doubled the memory and the
 * bytes a decode step streams). The two types differ only in how a 16-bit value widens to a float32, the small
 * strategy {@link #widen}:
 * <ul>
 *   <li>BF16 is the upper half of a float32: a shift;</li>
 *   <li>F16: the Vector API has no half-float conversion, so the bits are moved: the 15 magnitude bits shifted into
 *       a float's exponent/mantissa position, times 2^112 (exact for normal and subnormal halves), infinity and NaN
 *       (exponent 31) get the float exponent 255, then the sign bit. Equal to {@link Float#float16ToFloat}.</li>
 * </ul>
 * The choice is a final boolean tested inside the loops; C2 hoists it out of them (loop unswitching), so each type
 * runs its own loop, as fast as the two separate classes this replaced (measured: docs/notebook).
 */
final class HalfKernel extends BlockKernel {
    static final HalfKernel F16 = new HalfKernel(false);
    static final HalfKernel BF16 = new HalfKernel(true);
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * W));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    /** Brain float (BF16) rather than IEEE half (F16). */
    private final boolean brain;

    private HalfKernel(boolean brain) {
        this.brain = brain;
    }

    /** W values at byte p, widened to floats. */
    private FloatVector load(MemorySegment w, long p) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, p, LE).convertShape(VectorOperators.S2I, I, 0);
        return brain ? h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats() : widenHalf(h);
    }

    private static FloatVector widenHalf(IntVector h) {
        IntVector mag = h.and(0x7fff);
        IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x80000000)).reinterpretAsFloats();
    }

    /** The value at byte p, as {@link #load} widens it. */
    private float scalar(MemorySegment w, long p) {
        return brain ? Float.intBitsToFloat(w.get(I16, p) << 16) : half(w, p);
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

    /**
     * Two rows at once (two FMA chains sharing the loads of x): a row's order is the same as {@link #single}'s and the
     * prefill tile's. One row per call, with its single FMA chain, ran at two thirds of this speed from memory.
     */
    @Override
    boolean pairs() {
        return true;
    }

    @Override
    void pair(MemorySegment w, long row, long rowBytes, float[] x, int xOff, int cols, float[] lanes, int lanesOff) {
        int bound = S.loopBound(cols);
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

    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int bound = S.loopBound(cols);
        FloatVector a = FloatVector.zero(S);
        for (int k = 0; k < bound; k += W) {
            a = load(w, row + 2L * k).fma(FloatVector.fromArray(S, x, xOff + k), a);
        }
        a.intoArray(lanes, laneOff);
    }

    @Override
    float finish(MemorySegment w, long row, float[] x, int xOff, int cols, float sum) {
        for (int k = S.loopBound(cols); k < cols; k++) {
            sum = Math.fma(scalar(w, row + 2L * k), x[xOff + k], sum);
        }
        return sum;
    }
}
