package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast path of one packed weight type, reading rows straight from the mapped file (see docs/QUANT-KERNELS.md).
 * Every kernel computes a weight as one fixed expression of its block's bytes, in float32, and feeds it to one
 * accumulator per (row, token) in column order: {@code acc = fma(w[k..k+W), x[k..k+W), acc)}, then the fixed lane
 * tree of {@link Vectors#sum} and a scalar tail. So the fused single-token dot ({@link #dot}, weights decoded into
 * registers), the expanded path of prefill ({@link #expand} into a float tile, then {@link RowDots}) and the scalar
 * cold-start path ({@link #expandScalar}, then {@link RowDots#dotScalar}) give the same bits, whatever the thread
 * count, the row split or the token grouping.
 *
 * <p>Bytes are loaded 16 at a time (the smallest unit of every layout here) and widened to floats in
 * {@link #PARTS} parts of {@link #W} lanes, so the kernels run at 512, 256 and 128 bits.
 */
abstract class BlockKernel {
    static final VectorSpecies<Float> S = Linear.SPECIES;
    static final int W = S.length();
    /** 16 bytes: a Q8_0 half block, a Q4 nibble half, a Q6_K scale group. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Float vectors per 16 bytes. */
    static final int PARTS = 16 / W;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /** The kernel of a type, or null when the type has none (the layer then expands rows with {@link Dequant}). */
    static BlockKernel forType(DType type) {
        return switch (type.name()) {
            case "Q8_0" -> Q8_0Kernel.INSTANCE;
            case "Q4_0" -> Q4_0Kernel.INSTANCE;
            case "F16" -> HalfKernel.F16;
            case "BF16" -> HalfKernel.BF16;
            case "Q5_0" -> Q5_0Kernel.Q5_0;
            case "Q5_1" -> Q5_0Kernel.Q5_1;
            case "Q4_K" -> Q4_KKernel.INSTANCE;
            case "Q5_K" -> Q5_KKernel.INSTANCE;
            case "Q6_K" -> Q6_KKernel.INSTANCE;
            default -> null;
        };
    }

    /** Decodes the row at byte offset {@code row} ({@code cols} values) into {@code dst[off ..]} with vector code. */
    abstract void expand(MemorySegment w, long row, int cols, float[] dst, int off);

    /** The same values as {@link #expand}, with scalar code that is fast before C2 has compiled the vector kernels. */
    abstract void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off);

    /**
     * Dot products of {@code n} (1 to 4) consecutive rows, the first at byte offset {@code row}, with
     * {@code x[xOff ..]}, written to {@code out[outOff + i]}: the weights are decoded into registers and never
     * stored (the decode kernel, bound by memory bandwidth). Rows go in pairs ({@link #pair}) that share the loads of
     * x (with 4 rows C2 stopped inlining the decoding of the larger blocks and boxed the vectors, 5-10× slower), a
     * lone row through {@link #single}. {@code lanes} ({@link #LANES} floats) receives the accumulators, which are
     * reduced by scalar code; no vector crosses a call here, so these calls need not be inlined.
     */
    final void dot(MemorySegment w, long row, long rowBytes, int n, float[] x, int xOff, int cols, float[] out,
                   int outOff, float[] lanes) {
        if (n == 4) {
            pair(w, row, rowBytes, x, xOff, cols, lanes, 0);
            pair(w, row + 2 * rowBytes, rowBytes, x, xOff, cols, lanes, 2 * W);
            for (int r = 0; r < 4; r++) {
                out[outOff + r] = finish(w, row + r * rowBytes, x, xOff, cols, Vectors.sumLanes(lanes, r * W));
            }
            return;
        }
        for (int r = 0; r < n; r++) {
            single(w, row + r * rowBytes, x, xOff, cols, lanes);
            out[outOff + r] = finish(w, row + r * rowBytes, x, xOff, cols, Vectors.sumLanes(lanes, 0));
        }
    }

    /** The accumulators of two rows (at {@code row} and {@code row + rowBytes}) to {@code lanes[lanesOff ..]}. */
    void pair(MemorySegment w, long row, long rowBytes, float[] x, int xOff, int cols, float[] lanes, int lanesOff) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " decodes single tokens through expand");
    }

    /** The accumulator of one row to {@code lanes[0 ..]}. */
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " decodes single tokens through expand");
    }

    /** The row's dot from its reduced lanes: plus the columns past the last whole vector, if the type has any. */
    float finish(MemorySegment w, long row, float[] x, int xOff, int cols, float sum) {
        return sum;
    }

    /**
     * Whether single tokens use {@link #dot}; otherwise they take the prefill path too (rows decoded into the float
     * tile, then 4 rows against the token at once).
     */
    boolean fusedDecode() {
        return true;
    }

    /** Floats of the {@code lanes} buffer of {@link #dot}: 4 accumulators, then room for two rows' block scales. */
    static final int LANES = 4 * W + 32;

    /** 16 bytes at {@code p} as bytes. */
    static ByteVector bytes(MemorySegment w, long p) {
        return ByteVector.fromMemorySegment(B16, w, p, LE);
    }

    /** Part {@code part} (W lanes) of 16 bytes, as signed integers converted to float. */
    static FloatVector widen(ByteVector b, int part) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, S, part);
    }

    static float half(MemorySegment w, long p) {
        return Float.float16ToFloat(w.get(I16, p));
    }
}
