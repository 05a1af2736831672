package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;

/**
 * A linear layer over weights kept in their file encoding (F16, BF16 and the block-quantised types), read straight
 * from the mapped file: memory stays the file's size. One token (decode, bound by memory bandwidth): the type's
 * {@link BlockKernel#dot} decodes 2 rows at a time into registers. Several tokens (prefill, bound by arithmetic):
 * 4 rows are decoded once into a float tile in worker scratch, and {@link RowDots} multiplies the tile with every
 * token row. A type without a fast kernel decodes its rows with the reference {@link Dequant}. Before C2 has compiled
 * the vector kernels, scalar code computes the same bits (see {@link KernelWarmup}).
 */
public final class QuantLinear implements Linear {
    /** Rows decoded per tile. */
    static final int ROWS = 4;

    private final WeightTensor weight;
    private final MemorySegment data;
    private final BlockKernel kernel;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    QuantLinear(WeightTensor weight) {
        this(weight, BlockKernel.forType(weight.type()));
    }

    /** With an explicit kernel (null: the reference decoder), so tests can compare the two. */
    QuantLinear(WeightTensor weight, BlockKernel kernel) {
        this.weight = weight;
        this.data = weight.data();
        this.kernel = kernel;
        this.rows = weight.rows();
        this.cols = weight.cols();
        if (cols % weight.type().blockSize() != 0) {
            throw new IllegalArgumentException(weight.name() + ": " + cols + " columns are not a multiple of the "
                    + weight.type() + " block size " + weight.type().blockSize());
        }
        this.rowBytes = weight.type().bytesFor(cols);
    }

    @Override
    public int rows() { return rows; }

    @Override
    public int cols() { return cols; }

    @Override
    public long weightBytes() { return rows * rowBytes; }

    /** A tile of {@link #ROWS} decoded rows, then the accumulator lanes of the kernels. */
    @Override
    public int scratchSize() { return ROWS * cols + RowDots.LANES; }

    /** Whether a fast kernel reads this layer (false: the reference decoder). */
    public boolean hasFastKernel() { return kernel != null; }

    @Override
    public void apply(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                      int rowFrom, int rowTo, float[] scratch) {
        if (KernelWarmup.ready()) {
            applyVector(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo, scratch);
        } else {
            applyScalar(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo, scratch);
        }
    }

    void applyVector(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                     int rowFrom, int rowTo, float[] scratch) {
        if (tokens == 1 && kernel != null && kernel.fusedDecode()) {
            for (int o = rowFrom; o < rowTo; o += ROWS) {
                kernel.dot(data, o * rowBytes, rowBytes, Math.min(ROWS, rowTo - o), x, xOff, cols, out, outOff + o,
                        scratch);
            }
        } else {
            for (int o = rowFrom; o < rowTo; o += ROWS) {
                int n = Math.min(ROWS, rowTo - o);
                for (int r = 0; r < n; r++) {
                    expand(o + r, scratch, r * cols, false);
                }
                RowDots.apply(scratch, n, cols, x, xOff, xStride, tokens, out, outOff + o, outStride,
                        scratch, ROWS * cols);
            }
        }
        padding(out, outOff, outStride, tokens, rowTo);
    }

    /** The cold-start path: the same values as the vector kernels, from scalar code. */
    void applyScalar(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                     int rowFrom, int rowTo, float[] scratch) {
        float[] lanes = new float[BLOCK];
        for (int o = rowFrom; o < rowTo; o++) {
            expand(o, scratch, 0, true);
            for (int t = 0; t < tokens; t++) {
                out[outOff + t * outStride + o] = RowDots.dotScalar(scratch, 0, x, xOff + t * xStride, cols, lanes);
            }
        }
        padding(out, outOff, outStride, tokens, rowTo);
    }

    private void expand(int row, float[] dst, int off, boolean scalar) {
        if (kernel == null) {
            Dequant.row(weight, row, dst, off);
        } else if (scalar) {
            kernel.expandScalar(data, row * rowBytes, cols, dst, off);
        } else {
            kernel.expand(data, row * rowBytes, cols, dst, off);
        }
    }

    /** Keeps the padding columns defined, as the panel kernel does. */
    private void padding(float[] out, int outOff, int outStride, int tokens, int rowTo) {
        if (rowTo == rows) {
            for (int t = 0; t < tokens; t++) {
                java.util.Arrays.fill(out, outOff + t * outStride + rows, outOff + t * outStride + paddedRows(), 0f);
            }
        }
    }
}
