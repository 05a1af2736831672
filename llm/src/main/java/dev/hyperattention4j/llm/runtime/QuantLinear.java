package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;

/**
 * A linear layer over weights kept in their file encoding (F16, BF16 and the block-quantised types), read straight
 * from the mapped file: memory stays the file's size. One token (decode, bound by memory bandwidth): the type's
 * {@link BlockKernel#decode} decodes one row at a time into registers (the reference decoder: 4 rows expanded into a
 * float tile, then {@link RowDots}). Several tokens (prefill, bound by arithmetic): the tokens are transposed
 * into the lanes, 8 rows at a time are decoded into a float tile, and {@link PrefillKernel} multiplies them (another
 * summation order than decode: docs/QUANT-KERNELS.md). A type without a fast kernel decodes its rows with the
 * reference {@link Dequant}. Before C2 has compiled the vector kernels, scalar code computes the same bits as the
 * vector path of the same token count (see {@link KernelWarmup}).
 */
public final class QuantLinear implements Linear {
    /** Rows decoded per tile of a single token. */
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
        KernelWarmup.require(kernel);   // a layer in use: its vector kernel gets compiled
    }

    @Override
    public int rows() { return rows; }

    @Override
    public int cols() { return cols; }

    @Override
    public long weightBytes() { return rows * rowBytes; }

    /**
     * One token: a tile of {@link #ROWS} decoded rows and the accumulator lanes of the kernels. Several tokens: the
     * transposed activations of up to {@link PrefillKernel#TOKENS} tokens, a tile of {@link PrefillKernel#ROWS}
     * decoded rows and their accumulators.
     */
    @Override
    public int scratchSize() {
        int decode = ROWS * cols + RowDots.LANES;
        int prefill = PrefillKernel.TOKENS * cols
                + PrefillKernel.GROUP * (PrefillKernel.span(cols) + PrefillKernel.TOKENS);
        return Math.max(decode, prefill);
    }

    /** Whether a fast kernel reads this layer (false: the reference decoder). */
    public boolean hasFastKernel() { return kernel != null; }

    @Override
    public void apply(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                      int rowFrom, int rowTo, float[] scratch) {
        if (KernelWarmup.ready(kernel)) {
            applyVector(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo, scratch);
        } else {
            applyScalar(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo, scratch);
        }
    }

    void applyVector(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                     int rowFrom, int rowTo, float[] scratch) {
        if (tokens > 1) {
            prefill(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo, scratch);
        } else if (kernel != null) {
            kernel.decode(data, rowBytes, rowFrom, rowTo, x, xOff, cols, out, outOff, scratch);
        } else {
            for (int o = rowFrom; o < rowTo; o += ROWS) {
                int n = Math.min(ROWS, rowTo - o);
                for (int r = 0; r < n; r++) {
                    expand(o + r, 0, cols, scratch, r * cols, false);
                }
                RowDots.apply(scratch, n, cols, x, xOff, xStride, 1, out, outOff + o, outStride, scratch, ROWS * cols);
            }
        }
        padding(out, outOff, outStride, tokens, rowTo);
    }

    /**
     * Several tokens: per batch of up to {@link PrefillKernel#TOKENS} tokens, the activations are transposed once
     * (tokens in the lanes). Rows go in groups of {@link PrefillKernel#GROUP}, columns in spans of at most
     * {@link PrefillKernel#SPAN}: a group's span is decoded into a float tile once per batch, and
     * {@link PrefillKernel#multiply} passes every token of the batch over it, the accumulators waiting in scratch
     * between spans (each output is still one FMA chain in column order, so the grouping changes no bit).
     */
    private void prefill(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                         int rowFrom, int rowTo, float[] scratch) {
        int span = PrefillKernel.span(cols);
        int tileOff = PrefillKernel.TOKENS * cols;
        int accOff = tileOff + PrefillKernel.GROUP * span;
        for (int t0 = 0; t0 < tokens; t0 += PrefillKernel.TOKENS) {
            int nt = Math.min(PrefillKernel.TOKENS, tokens - t0);
            int tp = PrefillKernel.lanes(nt);
            PrefillKernel.transpose(x, xOff + t0 * xStride, xStride, nt, cols, scratch, 0, tp);
            for (int g0 = rowFrom; g0 < rowTo; g0 += PrefillKernel.GROUP) {
                int n = Math.min(PrefillKernel.GROUP, rowTo - g0);
                java.util.Arrays.fill(scratch, accOff, accOff + n * tp, 0f);
                for (int k0 = 0; k0 < cols; k0 += span) {
                    int kc = Math.min(span, cols - k0);
                    for (int r = 0; r < n; r++) {
                        expand(g0 + r, k0, kc, scratch, tileOff + r * kc, false);
                    }
                    PrefillKernel.multiply(scratch, tileOff, kc, n, kc, scratch, 0, cols, k0, tp, scratch, accOff);
                }
                for (int t = 0; t < nt; t++) {
                    int ob = outOff + (t0 + t) * outStride + g0;
                    int ab = accOff + t;
                    for (int r = 0; r < n; r++) {
                        out[ob + r] = scratch[ab + r * tp];
                    }
                }
            }
        }
    }

    /** The cold-start path: the same values as the vector kernels, from scalar code. */
    void applyScalar(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                     int rowFrom, int rowTo, float[] scratch) {
        if (tokens == 1 && kernel != null) {
            kernel.decodeScalar(data, rowBytes, rowFrom, rowTo, x, xOff, cols, out, outOff, scratch);
            padding(out, outOff, outStride, tokens, rowTo);
            return;
        }
        // the row after BLOCK floats, where the one-token dot keeps its lanes (nothing allocated per call)
        for (int o = rowFrom; o < rowTo; o++) {
            expand(o, 0, cols, scratch, BLOCK, true);
            for (int t = 0; t < tokens; t++) {
                int xb = xOff + t * xStride;
                out[outOff + t * outStride + o] = tokens == 1 ? RowDots.dotScalar(scratch, BLOCK, x, xb, cols, scratch)
                        : PrefillKernel.dotScalar(scratch, BLOCK, x, xb, cols);
            }
        }
        padding(out, outOff, outStride, tokens, rowTo);
    }

    /** Decodes columns [from, from + count) of a row (from a multiple of the block size) to {@code dst[off ..]}. */
    private void expand(int row, int from, int count, float[] dst, int off, boolean scalar) {
        long at = row * rowBytes + weight.type().bytesFor(from);
        if (kernel == null) {
            Dequant.decode(data, weight.type(), at, count, dst, off);
        } else if (scalar) {
            kernel.expandScalar(data, at, count, dst, off);
        } else {
            kernel.expand(data, at, count, dst, off);
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
