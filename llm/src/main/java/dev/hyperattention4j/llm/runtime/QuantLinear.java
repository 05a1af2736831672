package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.WeightTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer over block-quantised weights (any quantised {@code DType}) read straight from the mapped file: each weight row is
 * dequantised once into worker scratch and then multiplied with every token row of the batch, so the decoding
 * cost is shared by the whole token tile during prefill.
 */
public final class QuantLinear implements Linear {
    private static final VectorSpecies<Float> S = SPECIES;

    private final WeightTensor weight;
    private final int rows;
    private final int cols;

    QuantLinear(WeightTensor weight) {
        this.weight = weight;
        this.rows = weight.rows();
        this.cols = weight.cols();
        if (cols % weight.type().blockSize() != 0) {
            throw new IllegalArgumentException(weight.name() + ": " + cols + " columns are not a multiple of the "
                    + weight.type() + " block size " + weight.type().blockSize());
        }
    }

    @Override
    public int rows() { return rows; }

    @Override
    public int cols() { return cols; }

    @Override
    public int scratchSize() { return cols; }

    @Override
    public void apply(float[] x, int xOff, int xStride, int tokens, float[] out, int outOff, int outStride,
                      int rowFrom, int rowTo, float[] scratch) {
        int bound = S.loopBound(cols);
        for (int o = rowFrom; o < rowTo; o++) {
            Dequant.row(weight, o, scratch, 0);
            for (int t = 0; t < tokens; t++) {
                int xb = xOff + t * xStride;
                FloatVector acc0 = FloatVector.zero(S);
                FloatVector acc1 = FloatVector.zero(S);
                int k = 0;
                for (; k + 2 * S.length() <= bound; k += 2 * S.length()) {
                    acc0 = FloatVector.fromArray(S, scratch, k).fma(FloatVector.fromArray(S, x, xb + k), acc0);
                    acc1 = FloatVector.fromArray(S, scratch, k + S.length())
                            .fma(FloatVector.fromArray(S, x, xb + k + S.length()), acc1);
                }
                for (; k < bound; k += S.length()) {
                    acc0 = FloatVector.fromArray(S, scratch, k).fma(FloatVector.fromArray(S, x, xb + k), acc0);
                }
                float sum = Vectors.sum(acc0.add(acc1));
                for (; k < cols; k++) {
                    sum += scratch[k] * x[xb + k];
                }
                out[outOff + t * outStride + o] = sum;
            }
        }
        // keep the padding columns defined, as the panel kernel does
        if (rowTo == rows) {
            for (int t = 0; t < tokens; t++) {
                java.util.Arrays.fill(out, outOff + t * outStride + rows, outOff + t * outStride + paddedRows(), 0f);
            }
        }
    }
}
