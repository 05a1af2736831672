package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Packing row-major float weights into panels, as the trainer does every step: the layer computes x·Wᵀ (float64
 * oracle), the transposed packing is the packing of the transposed array, and a reused panel array gives the same
 * layer as a fresh one whatever it held before.
 */
class PanelPackingTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1), Arguments.of(15, 7), Arguments.of(16, 64), Arguments.of(17, 33),
                Arguments.of(33, 16), Arguments.of(64, 1), Arguments.of(100, 48));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void packedLayersComputeTheProductAndTheTransposedProduct(int rows, int cols) {
        Random r = new Random(rows * 31L + cols);
        float[] w = random(r, rows * cols);
        int tokens = 5;
        float[] x = random(r, tokens * cols), xt = random(r, tokens * rows);

        PanelLinear plain = PanelLinear.of(w, rows, cols);
        float[] y = apply(plain, x, tokens);
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < rows; o++) {
                double sum = 0, scale = 0;
                for (int k = 0; k < cols; k++) {
                    sum += (double) x[t * cols + k] * w[o * cols + k];
                    scale += Math.abs((double) x[t * cols + k] * w[o * cols + k]);
                }
                assertThat((double) y[t * plain.paddedRows() + o]).isCloseTo(sum, offset(1e-6 * scale + 1e-12));
            }
        }

        float[] transposed = new float[rows * cols];
        for (int o = 0; o < rows; o++) {
            for (int k = 0; k < cols; k++) {
                transposed[k * rows + o] = w[o * cols + k];
            }
        }
        PanelLinear direct = PanelLinear.ofTransposed(w, rows, cols, null);
        PanelLinear viaArray = PanelLinear.of(transposed, cols, rows);
        assertThat(direct.rows()).isEqualTo(cols);
        assertThat(direct.cols()).isEqualTo(rows);
        assertThat(apply(direct, xt, tokens)).containsExactly(apply(viaArray, xt, tokens));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void aReusedArrayGivesTheLayerOfTheNewWeights(int rows, int cols) {
        Random r = new Random(rows * 17L + cols);
        float[] old = random(r, rows * cols), w = random(r, rows * cols);
        int tokens = 3;
        float[] x = random(r, tokens * cols), xt = random(r, tokens * rows);

        PanelLinear reused = PanelLinear.of(old, rows, cols);
        PanelLinear repacked = PanelLinear.of(w, rows, cols, reused);
        assertThat(repacked).isSameAs(reused);
        assertThat(apply(repacked, x, tokens)).containsExactly(apply(PanelLinear.of(w, rows, cols), x, tokens));

        PanelLinear reusedT = PanelLinear.ofTransposed(old, rows, cols, null);
        PanelLinear repackedT = PanelLinear.ofTransposed(w, rows, cols, reusedT);
        assertThat(repackedT).isSameAs(reusedT);
        assertThat(apply(repackedT, xt, tokens)).containsExactly(apply(PanelLinear.ofTransposed(w, rows, cols, null), xt, tokens));

        PanelLinear otherShape = PanelLinear.of(new float[(rows + 1) * cols], rows + 1, cols);
        PanelLinear fresh = PanelLinear.of(w, rows, cols, otherShape);
        assertThat(fresh).isNotSameAs(otherShape);
        assertThat(apply(fresh, x, tokens)).containsExactly(apply(PanelLinear.of(w, rows, cols), x, tokens));
    }

    private static float[] apply(PanelLinear lin, float[] x, int tokens) {
        float[] out = new float[tokens * lin.paddedRows()];
        lin.apply(x, 0, lin.cols(), tokens, out, 0, lin.paddedRows(), null);
        return out;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
