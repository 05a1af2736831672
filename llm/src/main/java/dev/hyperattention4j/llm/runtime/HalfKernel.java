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
 * bytes a decode step streams). The two types differ only in how a 16-bit value widens to a float32:
 * <ul>
 *   <li>BF16 is the upper half of a float32: a shift;</li>
 *   <li>F16: the Vector API has no half-float conversion, so the bits are moved: the 15 magnitude bits shifted into
 *       a float's exponent/mantissa position, times 2^112 (exact for normal and subnormal halves), infinity and NaN
 *       (exponent 31) get the float exponent 255, then the sign bit. Equal to {@link Float#float16ToFloat}.</li>
 * </ul>
 * The choice is a final boolean tested inside the loops; C2 hoists it out of them (loop unswitching), so each type
 * runs its own loop, as fast as the two separate classes this replaced (measured: docs/notebook). The widening is
 * written out in every loop rather than in a helper: a vector passed to or returned from a method of ours that C2
 * does not inline is boxed on every call (docs/QUANT-KERNELS.md).
 */
final class HalfKernel extends BlockKernel {
    static final HalfKernel F16 = new HalfKernel(false);
    static final HalfKernel BF16 = new HalfKernel(true);
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * W));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    /** 2^112: a half's magnitude bits shifted left by 13 into a float's, times this, give the half's value. */
    private static final float HALF_SCALE = 0x1p112f;

    /** Brain float (BF16) rather than IEEE half (F16). */
    private final boolean brain;

    private HalfKernel(boolean brain) {
        this.brain = brain;
    }

    /** The value at byte p, as the vector loops widen it. */
    private float scalar(MemorySegment w, long p) {
        return brain ? Float.intBitsToFloat(w.get(I16, p) << 16) : half(w, p);
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        int bound = S.loopBound(cols), k = 0;
        for (; k < bound; k += W) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, row + 2L * k, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector v;
            if (brain) {
                v = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            } else {
                IntVector mag = h.and(0x7fff);
                IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_SCALE)
                        .reinterpretAsInts();
                bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
                v = bits.or(h.and(0x80000000)).reinterpretAsFloats();
            }
            v.intoArray(dst, off + k);
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
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, p, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector v;
            if (brain) {
                v = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            } else {
                IntVector mag = h.and(0x7fff);
                IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_SCALE)
                        .reinterpretAsInts();
                bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
                v = bits.or(h.and(0x80000000)).reinterpretAsFloats();
            }
            a0 = v.fma(xv, a0);
            h = (IntVector) ShortVector.fromMemorySegment(H, w, p + rowBytes, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            if (brain) {
                v = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            } else {
                IntVector mag = h.and(0x7fff);
                IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_SCALE)
                        .reinterpretAsInts();
                bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
                v = bits.or(h.and(0x80000000)).reinterpretAsFloats();
            }
            a1 = v.fma(xv, a1);
        }
        a0.intoArray(lanes, lanesOff);
        a1.intoArray(lanes, lanesOff + W);
    }

    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int bound = S.loopBound(cols);
        FloatVector a = FloatVector.zero(S);
        for (int k = 0; k < bound; k += W) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, row + 2L * k, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector v;
            if (brain) {
                v = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            } else {
                IntVector mag = h.and(0x7fff);
                IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_SCALE)
                        .reinterpretAsInts();
                bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
                v = bits.or(h.and(0x80000000)).reinterpretAsFloats();
            }
            a = v.fma(FloatVector.fromArray(S, x, xOff + k), a);
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
