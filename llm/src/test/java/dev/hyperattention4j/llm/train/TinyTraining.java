package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import java.util.SplittableRandom;

/** Tiny model shapes and well-conditioned random parameters for the training tests. */
final class TinyTraining {
    private TinyTraining() {
    }

    /** dim 8, FFN 12, 2 layers, 2 query heads over 1 KV head (GQA), head dim 4, vocabulary 11. */
    static ModelConfig config(boolean bias, boolean tied, RopeStyle style, RopeScaling scaling, int rotaryDims) {
        return new ModelConfig("safetensors", "llama", 8, 12, 2, 2, 1, 4, 11, 64, 1e-5f, 10000f, style, tied, bias,
                1, 2, BlockLayout.LLAMA, rotaryDims, scaling, 0);
    }

    static ModelConfig config() {
        return config(false, false, RopeStyle.ROTATE_HALF, RopeScaling.NONE, 4);
    }

    /**
     * Parameters with entries of order 0.5 (norm weights near 1), so attention is far from uniform and every path
     * carries gradient.
     */
    static LlamaParameters parameters(ModelConfig c, long seed) {
        LlamaParameters p = LlamaParameters.zeros(c);
        SplittableRandom r = new SplittableRandom(seed);
        for (LlamaParameters.Tensor t : p.tensors()) {
            float[] a = t.data();
            boolean norm = t.name().endsWith("norm.weight") || t.name().endsWith("layernorm.weight");
            double s = t.shape().length == 2 ? 1.6 / Math.sqrt(t.shape()[1]) : 0.3;
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (norm ? 1 + 0.3 * (r.nextDouble() - 0.5) : s * (r.nextDouble() - 0.5) * 2);
            }
        }
        return p;
    }

    static int[] tokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** ‖a − b‖ / ‖b‖ (b the reference). */
    static double relativeError(float[] a, double[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    static double relativeError(double[] a, double[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }
}
