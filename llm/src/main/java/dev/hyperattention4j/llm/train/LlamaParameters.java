package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.Dequant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainable weights of a Llama-family model (pre-norm RMSNorm blocks, SwiGLU MLP, optional q/k/v biases, tied
 * or separate output head) as float32 arrays, matrices row-major {@code [out][in]} as Hugging Face stores them. The
 * same class holds gradients and optimizer moments ({@link #zerosLike}), so every tensor of one set has its twin
 * at the same index of {@link #tensors()} in the others.
 */
public final class LlamaParameters {
    /** One tensor: its Hugging Face name, shape (outermost first) and values. */
    public record Tensor(String name, long[] shape, float[] data) {
    }

    /** The weights of one block; the biases are null when the model has none. */
    public record Layer(float[] attentionNorm, float[] wq, float[] wk, float[] wv, float[] bq, float[] bk,
                        float[] bv, float[] wo, float[] ffnNorm, float[] gate, float[] up, float[] down) {
    }

    private final ModelConfig config;
    private final float[] embedding;
    private final float[] output;   // null when tied to the embedding
    private final float[] finalNorm;
    private final Layer[] layers;
    private final List<Tensor> tensors;

    private LlamaParameters(ModelConfig config, float[] embedding, float[] output, float[] finalNorm, Layer[] layers) {
        this.config = config;
        this.embedding = embedding;
        this.output = output;
        this.finalNorm = finalNorm;
        this.layers = layers;
        this.tensors = Collections.unmodifiableList(list());
    }

    /**
     * Refuses what training does not implement (yet): LayerNorm, parallel blocks, GELU MLPs and sliding windows.
     */
    public static void checkSupported(ModelConfig c) {
        if (!c.block().equals(BlockLayout.LLAMA)) {
            throw new IllegalArgumentException("training supports the Llama block (RMSNorm, sequential residuals, "
                    + "SwiGLU); this model has " + c.block().describe());
        }
        if (c.slidingWindow() > 0) {
            throw new IllegalArgumentException("training does not support a sliding attention window ("
                    + c.slidingWindow() + " tokens)");
        }
    }

    /** All zeros, shaped after {@code c} (biases only when {@code c.attentionBias()}). */
    public static LlamaParameters zeros(ModelConfig c) {
        checkSupported(c);
        int q = c.heads() * c.headDim(), kv = c.kvHeads() * c.headDim(), d = c.dim(), h = c.hiddenDim();
        Layer[] layers = new Layer[c.layers()];
        boolean bias = c.attentionBias();
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(new float[d], new float[size(q, d)], new float[size(kv, d)], new float[size(kv, d)],
                    bias ? new float[q] : null, bias ? new float[kv] : null, bias ? new float[kv] : null,
                    new float[size(d, q)], new float[d], new float[size(h, d)], new float[size(h, d)],
                    new float[size(d, h)]);
        }
        return new LlamaParameters(c, new float[size(c.vocabSize(), d)],
                c.tiedEmbeddings() ? null : new float[size(c.vocabSize(), d)], new float[d], layers);
    }

    private static int size(int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix is too large for one float array");
        }
        return (int) n;
    }

    /** Zeros shaped like this set (gradients, optimizer moments). */
    public LlamaParameters zerosLike() {
        return zeros(config);
    }

    /**
     * A freshly initialised model: matrices normal with standard deviation 0.02 (the residual projections
     * {@code o_proj} and {@code down_proj} scaled by {@code 1/sqrt(2·layers)}, GPT-2's rule), norms 1, biases 0.
     * Each tensor draws from its own stream seeded by (seed, index), so the result does not depend on threads.
     */
    public static LlamaParameters initialise(ModelConfig c, long seed) {
        LlamaParameters p = zeros(c);
        double residual = 0.02 / Math.sqrt(2.0 * c.layers());
        List<Tensor> ts = p.tensors();
        for (int i = 0; i < ts.size(); i++) {
            Tensor t = ts.get(i);
            if (t.name().endsWith("norm.weight") || t.name().endsWith("layernorm.weight")) {
                java.util.Arrays.fill(t.data(), 1f);
            } else if (t.shape().length == 2) {
                boolean res = t.name().endsWith("o_proj.weight") || t.name().endsWith("down_proj.weight");
                SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
                double std = res ? residual : 0.02;
                float[] a = t.data();
                for (int k = 0; k < a.length; k++) {
                    a[k] = (float) (r.nextGaussian() * std);
                }
            }
        }
        return p;
    }

    /** The weights of a loaded model, decoded to float32 (any encoding the runtime reads). */
    public static LlamaParameters of(ModelConfig c, LlamaWeights w) {
        LlamaParameters p = zeros(c);
        copy(w.tokenEmbedding(), p.embedding);
        if (p.output != null) {
            copy(w.output(), p.output);
        }
        copy(w.finalNorm(), p.finalNorm);
        for (int l = 0; l < c.layers(); l++) {
            Layer y = p.layers[l];
            copy(w.attentionNorm(l), y.attentionNorm());
            copy(w.wq(l), y.wq());
            copy(w.wk(l), y.wk());
            copy(w.wv(l), y.wv());
            if (y.bq() != null) {
                copy(w.bq(l), y.bq());
                copy(w.bk(l), y.bk());
                copy(w.bv(l), y.bv());
            }
            copy(w.wo(l), y.wo());
            copy(w.ffnNorm(l), y.ffnNorm());
            copy(w.ffnGate(l), y.gate());
            copy(w.ffnUp(l), y.up());
            copy(w.ffnDown(l), y.down());
            if (w.bo(l) != null || w.upBias(l) != null || w.downBias(l) != null) {
                throw new IllegalArgumentException("training does not support biases on o_proj or the MLP (layer "
                        + l + ")");
            }
        }
        if (w.outputBias() != null) {
            throw new IllegalArgumentException("training does not support a bias on the output head");
        }
        return p;
    }

    private static void copy(WeightTensor t, float[] dst) {
        if (t == null || t.elementCount() != dst.length) {
            throw new IllegalArgumentException("tensor " + (t == null ? "(missing)" : t.name() + " has "
                    + t.elementCount() + " elements") + ", expected " + dst.length);
        }
        float[] v = Dequant.all(t);
        System.arraycopy(v, 0, dst, 0, dst.length);
    }

    private List<Tensor> list() {
        WeightNames n = WeightNames.HUGGING_FACE;
        int q = config.heads() * config.headDim(), kv = config.kvHeads() * config.headDim();
        int d = config.dim(), h = config.hiddenDim(), v = config.vocabSize();
        List<Tensor> out = new ArrayList<>();
        out.add(new Tensor(n.tokenEmbedding(), new long[] {v, d}, embedding));
        for (int l = 0; l < layers.length; l++) {
            Layer y = layers[l];
            out.add(new Tensor(WeightNames.layer(n.attentionNorm(), l), new long[] {d}, y.attentionNorm()));
            out.add(new Tensor(WeightNames.layer(n.wq(), l), new long[] {q, d}, y.wq()));
            out.add(new Tensor(WeightNames.layer(n.wk(), l), new long[] {kv, d}, y.wk()));
            out.add(new Tensor(WeightNames.layer(n.wv(), l), new long[] {kv, d}, y.wv()));
            if (y.bq() != null) {
                out.add(new Tensor(WeightNames.layer(n.bq(), l), new long[] {q}, y.bq()));
                out.add(new Tensor(WeightNames.layer(n.bk(), l), new long[] {kv}, y.bk()));
                out.add(new Tensor(WeightNames.layer(n.bv(), l), new long[] {kv}, y.bv()));
            }
            out.add(new Tensor(WeightNames.layer(n.wo(), l), new long[] {d, q}, y.wo()));
            out.add(new Tensor(WeightNames.layer(n.ffnNorm(), l), new long[] {d}, y.ffnNorm()));
            out.add(new Tensor(WeightNames.layer(n.ffnGate(), l), new long[] {h, d}, y.gate()));
            out.add(new Tensor(WeightNames.layer(n.ffnUp(), l), new long[] {h, d}, y.up()));
            out.add(new Tensor(WeightNames.layer(n.ffnDown(), l), new long[] {d, h}, y.down()));
        }
        out.add(new Tensor(n.finalNorm(), new long[] {d}, finalNorm));
        if (output != null) {
            out.add(new Tensor(n.output(), new long[] {v, d}, output));
        }
        return out;
    }

    public ModelConfig config() { return config; }

    public float[] embedding() { return embedding; }

    /** The output head: the embedding itself when tied. */
    public float[] output() { return output != null ? output : embedding; }

    public boolean tied() { return output == null; }

    public float[] finalNorm() { return finalNorm; }

    public Layer layer(int l) { return layers[l]; }

    /** Every tensor in a fixed order (embedding, layers, final norm, head): Hugging Face names. */
    public List<Tensor> tensors() { return tensors; }

    /** Number of trainable values. */
    public long count() {
        long n = 0;
        for (Tensor t : tensors) {
            n += t.data().length;
        }
        return n;
    }

    /** Sets every value to zero. */
    public void clear() {
        for (Tensor t : tensors) {
            java.util.Arrays.fill(t.data(), 0f);
        }
    }

    /** Copies the values of {@code other}, which must have the same shapes. */
    public void copyFrom(LlamaParameters other) {
        for (int i = 0; i < tensors.size(); i++) {
            float[] src = other.tensors.get(i).data(), dst = tensors.get(i).data();
            System.arraycopy(src, 0, dst, 0, dst.length);
        }
    }
}
