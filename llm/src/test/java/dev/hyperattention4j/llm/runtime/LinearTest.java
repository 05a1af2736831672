package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LinearTest {

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType type : DType.values()) {
            int widen = type.blockSize() == 256 ? 8 : 1; // K-quant rows hold whole 256-weight super-blocks
            for (int[] s : new int[][] {{16, 32, 1}, {37, 64, 3}, {64, 96, 8}, {5, 32, 13}, {80, 160, 40}, {33, 64, 17}}) {
                b.add(Arguments.of(type, s[0], s[1] * widen, s[2]));
            }
        }
        return b.build();
    }

    /**
     * Every kernel equals a float64 product over the same decoded weights; the tolerance (1e-5 of the row's
     * absolute sum) covers float32 accumulation over at most 160 terms in any order.
     */
    @ParameterizedTest(name = "{0} {1}x{2}, {3} tokens")
    @MethodSource("shapes")
    void matchesFloat64Product(DType type, int rows, int cols, int tokens) {
        Random r = new Random(rows * 31L + cols * 7L + tokens);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        WeightTensor t = SyntheticModel.encode("w", w, rows, cols, type);
        float[] decoded = Dequant.all(t);
        Linear lin = Linear.of(t);
        int xs = cols + 3, os = lin.paddedRows() + 16;
        float[] x = new float[5 + tokens * xs];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] out = new float[7 + tokens * os];
        java.util.Arrays.fill(out, Float.NaN);
        lin.apply(x, 5, xs, tokens, out, 7, os, new float[lin.scratchSize()]);
        for (int tk = 0; tk < tokens; tk++) {
            for (int o = 0; o < rows; o++) {
                double ref = 0, abs = 0;
                for (int k = 0; k < cols; k++) {
                    ref += (double) decoded[o * cols + k] * x[5 + tk * xs + k];
                    abs += Math.abs((double) decoded[o * cols + k] * x[5 + tk * xs + k]);
                }
                assertThat((double) out[7 + tk * os + o]).as("token %d row %d", tk, o).isCloseTo(ref,
                        org.assertj.core.data.Offset.offset(1e-5 * abs + 1e-6));
            }
            for (int o = rows; o < lin.paddedRows(); o++) {
                assertThat(out[7 + tk * os + o]).as("padding column %d", o).isZero();
            }
        }
    }

    /** A split over row blocks computes exactly the same values as one call (each row is one unit of work). */
    @ParameterizedTest
    @MethodSource("shapes")
    void rowRangesAreIndependent(DType type, int rows, int cols, int tokens) {
        Random r = new Random(5);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        Linear lin = Linear.of(SyntheticModel.encode("w", w, rows, cols, type));
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int os = lin.paddedRows();
        float[] whole = new float[tokens * os], parts = new float[tokens * os];
        float[] scratch = new float[lin.scratchSize()];
        lin.apply(x, 0, cols, tokens, whole, 0, os, scratch);
        for (int r0 = 0; r0 < rows; r0 += Linear.BLOCK) {
            lin.apply(x, 0, cols, tokens, parts, 0, os, r0, Math.min(rows, r0 + Linear.BLOCK), scratch);
        }
        for (int tk = 0; tk < tokens; tk++) {
            for (int o = 0; o < rows; o++) {
                assertThat(parts[tk * os + o]).isEqualTo(whole[tk * os + o]);
            }
        }
    }

    /** The cold-start scalar path of the panel kernel gives exactly the vector kernels' values. */
    @ParameterizedTest
    @MethodSource("shapes")
    void scalarPanelPathIsBitIdentical(DType type, int rows, int cols, int tokens) {
        if (type != DType.F32) {
            return;   // the other types are QuantLinear's: QuantKernelTest
        }
        Random r = new Random(9);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        PanelLinear lin = (PanelLinear) Linear.of(SyntheticModel.encode("w", w, rows, cols, type));
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int os = lin.paddedRows();
        float[] a = new float[tokens * os], b = new float[tokens * os];
        lin.applyVector(x, 0, cols, tokens, a, 0, os, 0, rows);
        lin.applyScalar(x, 0, cols, tokens, b, 0, os, 0, rows);
        assertThat(b).containsExactly(a);
    }
}
