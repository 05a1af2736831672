package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast path of one packed weight type, reading rows straight from the mapped file (see docs/QUANT-KERNELS.md).
 * Every kernel decodes a weight as one fixed expression of its block's bytes, in float32 ({@link #expand}, the
 * prefill tile, and its scalar twin {@link #expandScalar}). A single token goes through {@link #decode}: the weights
 * are decoded into registers row by row ({@link #single}), summed in an order each kernel fixes (the block-scaled
 * kernels apply a block's scale once per block), and reduced by the lane tree of {@link Vectors#sumLanes};
 * {@link #decodeScalar} computes the same bits with scalar code before C2 has compiled the vector kernels. Decode and
 * prefill agree to float32 rounding, each path bit for bit with itself whatever the thread count or row split.
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
            case "Q4_1" -> Q4_1Kernel.INSTANCE;
            case "F16" -> HalfKernel.F16;
            case "BF16" -> HalfKernel.BF16;
            case "Q5_0" -> Q5_0Kernel.Q5_0;
            case "Q5_1" -> Q5_0Kernel.Q5_1;
            case "Q4_K" -> Q4_KKernel.INSTANCE;
            case "Q5_K" -> Q5_KKernel.INSTANCE;
            case "Q6_K" -> Q6_KKernel.INSTANCE;
            case "Q2_K" -> Q2_KKernel.INSTANCE;
            case "Q3_K" -> Q3_KKernel.INSTANCE;
            default -> null;
        };
    }

    /** Decodes the row at byte offset {@code row} ({@code cols} values) into {@code dst[off ..]} with vector code. */
    abstract void expand(MemorySegment w, long row, int cols, float[] dst, int off);

    /** The same values as {@link #expand}, with scalar code that is fast before C2 has compiled the vector kernels. */
    abstract void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off);

    /**
     * Single-token products of rows [from, to) (row o at byte offset o·rowBytes) with {@code x[xOff ..]}, written to
     * {@code out[outOff + o]}: the decode kernel, bound by memory bandwidth. Rows go one at a time, so each thread
     * reads one sequential stream (two or four interleaved rows ran at half the speed from memory, docs/notebook);
     * the weights are decoded into registers and never stored. {@code scratch} (at least {@link #LANES} +
     * {@link #prepared} floats) receives the accumulators, which are reduced by scalar code, and what
     * {@link #prepare} computes from x once per call.
     */
    final void decode(MemorySegment w, long rowBytes, int from, int to, float[] x, int xOff, int cols, float[] out,
                      int outOff, float[] scratch) {
        prepare(x, xOff, cols, scratch);
        int o = from;
        if (pairs()) {
            for (; o + 2 <= to; o += 2) {
                long row = o * rowBytes;
                pair(w, row, rowBytes, x, xOff, cols, scratch, 0);
                out[outOff + o] = finish(w, row, x, xOff, cols, Vectors.sumLanes(scratch, 0));
                out[outOff + o + 1] = finish(w, row + rowBytes, x, xOff, cols, Vectors.sumLanes(scratch, W));
            }
        }
        int group = LANES + prepared(cols);
        if (!pairs() && scratch.length >= group + W * W) {
            // W rows, then their W lane sums at once (one scalar reduction per row cost 10-30 % at 896 columns)
            for (; o + W <= to; o += W) {
                for (int r = 0; r < W; r++) {
                    single(w, (o + r) * rowBytes, x, xOff, cols, scratch, group + r * W);
                }
                reduceRows(scratch, group);
                for (int r = 0; r < W; r++) {
                    out[outOff + o + r] = finish(w, (o + r) * rowBytes, x, xOff, cols, scratch[group + LANE_OF_ROW[r]]);
                }
            }
        }
        for (; o < to; o++) {
            long row = o * rowBytes;
            single(w, row, x, xOff, cols, scratch, 0);
            out[outOff + o] = finish(w, row, x, xOff, cols, Vectors.sumLanes(scratch, 0));
        }
    }

    /** {@link #decode} with scalar code (the cold-start path): the same bits. */
    final void decodeScalar(MemorySegment w, long rowBytes, int from, int to, float[] x, int xOff, int cols,
                            float[] out, int outOff, float[] scratch) {
        prepareScalar(x, xOff, cols, scratch);
        for (int o = from; o < to; o++) {
            out[outOff + o] = dotScalar(w, o * rowBytes, x, xOff, cols, scratch);
        }
    }

    /** Whether {@link #decode} takes rows two at a time ({@link #pair}), in the same order per row as {@link #single}. */
    boolean pairs() {
        return false;
    }

    /** The accumulators of the rows at {@code row} and {@code row + rowBytes} to {@code lanes[lanesOff ..]}. */
    void pair(MemorySegment w, long row, long rowBytes, float[] x, int xOff, int cols, float[] lanes, int lanesOff) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " decodes one row at a time");
    }

    /** Per level of {@link #reduceRows}: lane i takes lane i + shift, lane i − shift, and the lanes with bit shift set. */
    private static final int LEVELS = Integer.numberOfTrailingZeros(W);
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] UP = new VectorShuffle[LEVELS], DOWN = new VectorShuffle[LEVELS];
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] HIGH = new VectorMask[LEVELS];
    /** The lane where {@link #reduceRows} leaves row r's sum: r with its log2(W) bits reversed. */
    private static final int[] LANE_OF_ROW = new int[W];

    static {
        for (int level = 0, shift = W / 2; shift >= 1; level++, shift /= 2) {
            UP[level] = VectorShuffle.iota(S, shift, 1, true);
            DOWN[level] = VectorShuffle.iota(S, W - shift, 1, true);
            boolean[] high = new boolean[W];
            for (int i = 0; i < W; i++) {
                high[i] = (i & shift) != 0;
            }
            HIGH[level] = VectorMask.fromArray(S, high, 0);
        }
        for (int r = 0; r < W; r++) {
            LANE_OF_ROW[r] = Integer.reverse(r) >>> (32 - LEVELS);
        }
    }

    /**
     * The {@link Vectors#sumLanes} of W rows' lanes at {@code lanes[off + r·W ..]} (r = 0 .. W−1), all at once with
     * vector code: at each level of the halving tree, two vectors become one, the first one's partial sums in the
     * lanes with bit {@code shift} clear, the second one's where it is set; the same adds as per row, so the same
     * bits. Row r's sum ends at {@code lanes[off + LANE_OF_ROW[r]]}.
     */
    static void reduceRows(float[] lanes, int off) {
        for (int level = 0, n = W; level < LEVELS; level++, n /= 2) {
            VectorShuffle<Float> up = UP[level], down = DOWN[level];
            VectorMask<Float> high = HIGH[level];
            for (int k = 0; k < n / 2; k++) {
                FloatVector a = FloatVector.fromArray(S, lanes, off + 2 * k * W);
                FloatVector b = FloatVector.fromArray(S, lanes, off + (2 * k + 1) * W);
                a.blend(b.rearrange(down), high).add(a.rearrange(up).blend(b, high)).intoArray(lanes, off + k * W);
            }
        }
    }

    /** Floats that {@link #prepare} writes to {@code scratch[LANES ..]} for {@code cols} columns. */
    int prepared(int cols) {
        return 0;
    }

    /** Per-call work on x shared by all rows, written to {@code scratch[LANES ..]} (vector code). */
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
    }

    /** {@link #prepare} with scalar code: the same bits. */
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
    }

    /**
     * The accumulator(s) of one row, summed lane-wise into {@code lanes[laneOff ..+ W)}; {@link #decode} reduces them with
     * {@link Vectors#sumLanes} and {@link #finish}. The default order is the prefill tile's (one accumulator, a
     * weight as one float, fed in column order), which {@link #dotScalar} reproduces by default.
     */
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " decodes single tokens through expand");
    }

    /** The row's dot from its reduced lanes: plus the columns past the last whole vector, if the type has any. */
    float finish(MemorySegment w, long row, float[] x, int xOff, int cols, float sum) {
        return sum;
    }

    /**
     * {@link #single}, {@link Vectors#sumLanes} and {@link #finish} with scalar code. The default suits kernels whose
     * {@link #single} follows the prefill order: the row expanded after the lanes, then {@link RowDots#dotScalar}.
     */
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        expandScalar(w, row, cols, scratch, LANES);
        return RowDots.dotScalar(scratch, LANES, x, xOff, cols, scratch);
    }

    /** Floats of the lanes area of {@link #decode}'s scratch: 4 accumulators, then room for a row's block scales. */
    static final int LANES = 4 * W + 32;

    static float half(MemorySegment w, long p) {
        return Float.float16ToFloat(w.get(I16, p));
    }
}
