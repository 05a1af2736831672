package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.kernel.VectorWidth;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer {@code y = W·x} applied to a batch of token rows: {@code out[t][o] = Σ_k W[o][k]·x[t][k]}. F32
 * weights are packed into SIMD panels ({@link PanelLinear}); F16, BF16 and the quantised types stay in their file
 * encoding and are decoded inside the kernel ({@link QuantLinear}). The vector width is {@link VectorWidth#FLOAT}
 * ({@code -Dha4j.vectorBits} forces a narrower one for tests).
 *
 * <p>Kernels may write whole SIMD blocks: the output row stride must be at least {@link #paddedRows()} and the
 * padding columns receive zeros. Row ranges passed to {@link #apply} start at a multiple of {@link #BLOCK}.
 */
public sealed interface Linear permits PanelLinear, QuantLinear {
    VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    /** Output rows per SIMD block (16 with AVX-512). */
    int BLOCK = SPECIES.length();

    /** Output features (rows of W). */
    int rows();

    /** Input features (columns of W). */
    int cols();

    /** Rows rounded up to a whole {@link #BLOCK}. */
    default int paddedRows() {
        return roundUp(rows(), BLOCK);
    }

    /** Bytes of weights one pass over all rows reads. */
    long weightBytes();

    /** Floats of worker scratch {@link #apply} needs. */
    int scratchSize();

    /**
     * Computes rows {@code [rowFrom, rowTo)} of the output for {@code tokens} token rows: input row t at
     * {@code x[xOff + t·xStride ..]}, output row t at {@code out[outOff + t·outStride ..]}.
     */
    void apply(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
               int rowFrom, int rowTo, float[] scratch);

    /** All rows. */
    default void apply(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                       float[] scratch) {
        apply(x, xOff, xStride, tokens, out, outOff, outStride, 0, rows(), scratch);
    }

    /** The kernel for a {@code [out][in]} weight in any supported encoding. */
    static Linear of(WeightTensor w) {
        if (w.shape().length != 2) {
            throw new IllegalArgumentException("weight " + w.name() + " must be a matrix [out][in], has shape "
                    + java.util.Arrays.toString(w.shape()));
        }
        return switch (w.type()) {
            case F32 -> PanelLinear.pack(w);
            default -> new QuantLinear(w);
        };
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
