package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.WeightTensor;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer over float weights repacked once into SIMD panels {@code [rows/BLOCK][cols][BLOCK]}: the output
 * row is the lane dimension, so the kernels broadcast one input value and FMA it with a whole panel row, and never
 * need a horizontal reduction. F16 and BF16 weights are widened to float32 when packed.
 *
 * <p>Register blocking (32 vector registers): the batched kernel keeps 8 tokens × 2 blocks = 16 accumulators,
 * 2 panel loads and 1 broadcast per step; the single-token kernel keeps 4 independent blocks so the FMA latency is
 * hidden during decode. Padding rows of the last panel are zero, so padding output columns come out zero.
 */
public final class PanelLinear implements Linear {
    private static final VectorSpecies<Float> S = SPECIES;
    private static final int W = BLOCK;

    private final int rows;
    private final int cols;
    private final float[] panel;

    private PanelLinear(int rows, int cols, float[] panel) {
        this.rows = rows;
        this.cols = cols;
        this.panel = panel;
    }

    static PanelLinear pack(WeightTensor w) {
        KernelWarmup.start();
        int rows = w.rows(), cols = w.cols();
        long size = (long) Linear.roundUp(rows, W) * cols;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("weight " + w.name() + " has " + size + " elements, too many for one panel");
        }
        float[] panel = new float[(int) size];
        float[] row = new float[cols];
        for (int o = 0; o < rows; o++) {
            Dequant.row(w, o, row, 0);
            int base = (o / W) * cols * W + o % W;
            for (int k = 0; k < cols; k++) {
                panel[base + k * W] = row[k];
            }
        }
        return new PanelLinear(rows, cols, panel);
    }

    /** A panel layer from a row-major {@code [rows][cols]} array (tests and synthetic models). */
    public static PanelLinear of(float[] weights, int rows, int cols) {
        return of(weights, rows, cols, null);
    }

    /**
     * As {@link #of(float[], int, int)}, written into {@code reuse}'s array when it has the same shape (the trainer
     * repacks every step's weights, and fresh arrays of this size cost more than the copy). {@code reuse} must not
     * be in use by another thread while it is rewritten.
     */
    public static PanelLinear of(float[] weights, int rows, int cols, PanelLinear reuse) {
        float[] panel = arrayFor(rows, cols, reuse);
        int idx = 0;   // the panel is written in order; each block reads W rows side by side
        for (int o0 = 0; o0 < rows; o0 += W) {
            int lanes = Math.min(W, rows - o0);
            for (int k = 0; k < cols; k++) {
                for (int j = 0; j < lanes; j++) {
                    panel[idx + j] = weights[(o0 + j) * cols + k];
                }
                for (int j = lanes; j < W; j++) {
                    panel[idx + j] = 0f;
                }
                idx += W;
            }
        }
        return reuse != null && reuse.panel == panel ? reuse : new PanelLinear(rows, cols, panel);
    }

    /**
     * The panel layer of the transpose of the row-major {@code [rows][cols]} array {@code weights}, i.e. a layer
     * with {@code cols} outputs and {@code rows} inputs, packed straight from {@code weights}: a panel row of the
     * transpose is W consecutive elements of one row of {@code weights}. Same bits as packing the transposed array.
     */
    public static PanelLinear ofTransposed(float[] weights, int rows, int cols, PanelLinear reuse) {
        float[] panel = arrayFor(cols, rows, reuse);
        int idx = 0;
        for (int c0 = 0; c0 < cols; c0 += W) {
            int lanes = Math.min(W, cols - c0);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(weights, r * cols + c0, panel, idx, lanes);
                if (lanes < W) {
                    Arrays.fill(panel, idx + lanes, idx + W, 0f);
                }
                idx += W;
            }
        }
        return reuse != null && reuse.panel == panel ? reuse : new PanelLinear(cols, rows, panel);
    }

    private static float[] arrayFor(int rows, int cols, PanelLinear reuse) {
        int size = Math.multiplyExact(Linear.roundUp(rows, W), cols);
        return reuse != null && reuse.rows == rows && reuse.cols == cols ? reuse.panel : new float[size];
    }

    @Override
    public int rows() { return rows; }

    @Override
    public int cols() { return cols; }

    @Override
    public int scratchSize() { return 0; }

    @Override
    public long weightBytes() { return 4L * panel.length; }

    @Override
    public void apply(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                      int rowFrom, int rowTo, float[] scratch) {
        if (rowFrom % W != 0) {
            throw new IllegalArgumentException("row range must start at a multiple of " + W + ", got " + rowFrom);
        }
        if (KernelWarmup.ready()) {
            applyVector(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo);
        } else {
            applyScalar(x, xOff, xStride, tokens, out, outOff, outStride, rowFrom, rowTo);
        }
    }

    /**
     * The cold-start path: the same per-lane FMA chain in k order as the vector kernels, so the results are
     * bit-identical, but fast from the first call in interpreted and C1 code.
     */
    void applyScalar(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                     int rowFrom, int rowTo) {
        int b0 = rowFrom / W, b1 = (rowTo + W - 1) / W;
        // accumulates in the output block itself (its stride covers whole blocks), so a cold decode step
        // allocates nothing either
        for (int t = 0; t < tokens; t++) {
            int xb = xOff + t * xStride, ob = outOff + t * outStride;
            for (int b = b0; b < b1; b++) {
                int o = ob + b * W;
                java.util.Arrays.fill(out, o, o + W, 0f);
                int p = b * cols * W;
                for (int k = 0; k < cols; k++) {
                    float xk = x[xb + k];
                    int pk = p + k * W;
                    for (int l = 0; l < W; l++) {
                        out[o + l] = Math.fma(panel[pk + l], xk, out[o + l]);
                    }
                }
            }
        }
    }

    void applyVector(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                     int rowFrom, int rowTo) {
        int b0 = rowFrom / W, b1 = (rowTo + W - 1) / W;
        if (tokens < 8) {
            for (int t = 0; t < tokens; t++) {
                int xb = xOff + t * xStride, ob = outOff + t * outStride;
                int b = b0;
                for (; b + 4 <= b1; b += 4) {
                    k1x4(x, xb, b, out, ob);
                }
                for (; b < b1; b++) {
                    k1x1(x, xb, b, out, ob);
                }
            }
            return;
        }
        int b = b0;
        for (; b + 2 <= b1; b += 2) {
            int t = 0;
            for (; t + 8 <= tokens; t += 8) {
                k8x2(x, xOff + t * xStride, xStride, b, out, outOff + t * outStride, outStride);
            }
            for (; t < tokens; t++) {
                k1x1(x, xOff + t * xStride, b, out, outOff + t * outStride);
                k1x1(x, xOff + t * xStride, b + 1, out, outOff + t * outStride);
            }
        }
        if (b < b1) {
            for (int t = 0; t < tokens; t++) {
                k1x1(x, xOff + t * xStride, b, out, outOff + t * outStride);
            }
        }
    }

    private void k8x2(float[] x, int xb, int xs, int b, float[] out, int ob, int os) {
        final int n = cols;
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        FloatVector a40 = FloatVector.zero(S), a41 = FloatVector.zero(S);
        FloatVector a50 = FloatVector.zero(S), a51 = FloatVector.zero(S);
        FloatVector a60 = FloatVector.zero(S), a61 = FloatVector.zero(S);
        FloatVector a70 = FloatVector.zero(S), a71 = FloatVector.zero(S);
        int p0 = b * n * W, p1 = p0 + n * W;
        int x0 = xb, x1 = xb + xs, x2 = xb + 2 * xs, x3 = xb + 3 * xs;
        int x4 = xb + 4 * xs, x5 = xb + 5 * xs, x6 = xb + 6 * xs, x7 = xb + 7 * xs;
        for (int k = 0; k < n; k++) {
            FloatVector w0 = FloatVector.fromArray(S, panel, p0 + k * W);
            FloatVector w1 = FloatVector.fromArray(S, panel, p1 + k * W);
            FloatVector v;
            v = FloatVector.broadcast(S, x[x0 + k]); a00 = w0.fma(v, a00); a01 = w1.fma(v, a01);
            v = FloatVector.broadcast(S, x[x1 + k]); a10 = w0.fma(v, a10); a11 = w1.fma(v, a11);
            v = FloatVector.broadcast(S, x[x2 + k]); a20 = w0.fma(v, a20); a21 = w1.fma(v, a21);
            v = FloatVector.broadcast(S, x[x3 + k]); a30 = w0.fma(v, a30); a31 = w1.fma(v, a31);
            v = FloatVector.broadcast(S, x[x4 + k]); a40 = w0.fma(v, a40); a41 = w1.fma(v, a41);
            v = FloatVector.broadcast(S, x[x5 + k]); a50 = w0.fma(v, a50); a51 = w1.fma(v, a51);
            v = FloatVector.broadcast(S, x[x6 + k]); a60 = w0.fma(v, a60); a61 = w1.fma(v, a61);
            v = FloatVector.broadcast(S, x[x7 + k]); a70 = w0.fma(v, a70); a71 = w1.fma(v, a71);
        }
        int c = b * W;
        a00.intoArray(out, ob + c); a01.intoArray(out, ob + c + W);
        a10.intoArray(out, ob + os + c); a11.intoArray(out, ob + os + c + W);
        a20.intoArray(out, ob + 2 * os + c); a21.intoArray(out, ob + 2 * os + c + W);
        a30.intoArray(out, ob + 3 * os + c); a31.intoArray(out, ob + 3 * os + c + W);
        a40.intoArray(out, ob + 4 * os + c); a41.intoArray(out, ob + 4 * os + c + W);
        a50.intoArray(out, ob + 5 * os + c); a51.intoArray(out, ob + 5 * os + c + W);
        a60.intoArray(out, ob + 6 * os + c); a61.intoArray(out, ob + 6 * os + c + W);
        a70.intoArray(out, ob + 7 * os + c); a71.intoArray(out, ob + 7 * os + c + W);
    }

    private void k1x4(float[] x, int xb, int b, float[] out, int ob) {
        final int n = cols;
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int p0 = b * n * W, p1 = p0 + n * W, p2 = p1 + n * W, p3 = p2 + n * W;
        for (int k = 0; k < n; k++) {
            FloatVector v = FloatVector.broadcast(S, x[xb + k]);
            a0 = FloatVector.fromArray(S, panel, p0 + k * W).fma(v, a0);
            a1 = FloatVector.fromArray(S, panel, p1 + k * W).fma(v, a1);
            a2 = FloatVector.fromArray(S, panel, p2 + k * W).fma(v, a2);
            a3 = FloatVector.fromArray(S, panel, p3 + k * W).fma(v, a3);
        }
        int c = ob + b * W;
        a0.intoArray(out, c);
        a1.intoArray(out, c + W);
        a2.intoArray(out, c + 2 * W);
        a3.intoArray(out, c + 3 * W);
    }

    private void k1x1(float[] x, int xb, int b, float[] out, int ob) {
        final int n = cols;
        // one accumulator in k order, like the other kernels: a row's value never depends on how rows or tokens
        // were grouped, so results are identical for any thread count
        FloatVector a0 = FloatVector.zero(S);
        int p = b * n * W;
        for (int k = 0; k < n; k++) {
            a0 = FloatVector.fromArray(S, panel, p + k * W).fma(FloatVector.broadcast(S, x[xb + k]), a0);
        }
        a0.intoArray(out, ob + b * W);
    }
}
