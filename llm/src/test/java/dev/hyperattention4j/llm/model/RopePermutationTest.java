package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.testing.GgufConverter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Why GGUF llama files use {@link RopeStyle#INTERLEAVED} while the HF checkpoint they came from uses
 * {@link RopeStyle#ROTATE_HALF}: with the converter's row permutation, rotating q = W x in pairs (i, i + d/2) gives
 * the same numbers as rotating q' = W' x in pairs (2i, 2i+1), up to that same permutation of the output.
 */
class RopePermutationTest {
    private static double[] rope(double[] q, int headDim, int pos, boolean interleaved) {
        double[] out = q.clone();
        int half = headDim / 2;
        for (int h = 0; h < q.length / headDim; h++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(10000, -2.0 * i / headDim);
                int a = h * headDim + (interleaved ? 2 * i : i);
                int b = h * headDim + (interleaved ? 2 * i + 1 : i + half);
                out[a] = q[a] * Math.cos(angle) - q[b] * Math.sin(angle);
                out[b] = q[a] * Math.sin(angle) + q[b] * Math.cos(angle);
            }
        }
        return out;
    }

    private static double[] matvec(float[] w, int rows, int cols, double[] x) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                y[r] += w[r * cols + c] * x[c];
            }
        }
        return y;
    }

    @Test
    void permutedWeightsWithInterleavedRopeMatchRotateHalf() {
        int heads = 3, headDim = 8, cols = 5, rows = heads * headDim;
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextDouble(-1, 1);
        double[] x = new double[cols];
        for (int i = 0; i < cols; i++) x[i] = r.nextDouble(-1, 1);
        float[] permuted = GgufConverter.rotateHalfToInterleaved(w, rows, cols, heads);
        for (int pos : new int[] {0, 1, 7, 300}) {
            double[] hf = rope(matvec(w, rows, cols, x), headDim, pos, false);
            double[] gguf = rope(matvec(permuted, rows, cols, x), headDim, pos, true);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < headDim / 2; i++) {
                    for (int part = 0; part < 2; part++) {
                        assertThat(gguf[h * headDim + 2 * i + part])
                                .isCloseTo(hf[h * headDim + part * headDim / 2 + i], org.assertj.core.data.Offset.offset(1e-12));
                    }
                }
            }
            // and q·k dot products, which is all attention sees, are identical
            double[] hfK = rope(matvec(w, rows, cols, x), headDim, pos + 3, false);
            double[] ggufK = rope(matvec(permuted, rows, cols, x), headDim, pos + 3, true);
            double a = 0, b = 0;
            for (int i = 0; i < headDim; i++) {
                a += hf[i] * hfK[i];
                b += gguf[i] * ggufK[i];
            }
            assertThat(b).isCloseTo(a, org.assertj.core.data.Offset.offset(1e-12));
        }
    }
}
