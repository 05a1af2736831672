package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Objects;

/**
 * A network of any supported architecture prepared for inference (the name is historical; the block's shape comes
 * from {@link ModelConfig#block()}): float matrices packed into SIMD panels, quantised ones kept in
 * their blocks, norm vectors and biases decoded. Immutable and shareable; the mutable state of a run (KV cache,
 * activations) lives in a {@link LlamaSession}.
 */
public final class LlamaModel {
    /**
     * The weights of one transformer block. Biases are null when the model has none, {@code gate} for a GELU MLP,
     * {@code ffnNorm} for a parallel block.
     */
    record Layer(float[] attentionNorm, float[] attentionNormBias, Linear wq, Linear wk, Linear wv, Linear wo,
                 float[] bq, float[] bk, float[] bv, float[] bo, float[] ffnNorm, Linear gate, Linear up,
                 float[] upBias, Linear down, float[] downBias) {
    }

    private final ModelConfig config;
    private final Layer[] layers;
    private final WeightTensor embedding;
    private final float[] finalNorm;
    private final float[] finalNormBias;
    private final Linear output;
    private final float[] outputBias;

    private LlamaModel(ModelConfig config, Layer[] layers, WeightTensor embedding, float[] finalNorm,
                       float[] finalNormBias, Linear output, float[] outputBias) {
        this.config = config;
        this.layers = layers;
        this.embedding = embedding;
        this.finalNorm = finalNorm;
        this.finalNormBias = finalNormBias;
        this.output = output;
        this.outputBias = outputBias;
    }

    /**
     * Starts the background warm-up of the vector kernels now (it is otherwise started by the first model
     * preparation): called before a model file is parsed, the Vector API's class initialisation overlaps with it.
     * The kernels themselves are compiled only after the first forward call (see KernelWarmup).
     */
    public static void startKernelWarmup() {
        KernelWarmup.start();
    }

    /**
     * Lets the warm-up compile the vector kernels now and waits until it has (at most about 10 s): for benchmarks,
     * which must not time the scalar start-up path.
     */
    public static void awaitKernelWarmup() {
        KernelWarmup.awaitReady();
    }

    /** Prepares the weights of an opened model file (the model must stay open while this is used). */
    public static LlamaModel of(Model model) {
        return of(model.config(), model.weights());
    }

    public static LlamaModel of(ModelConfig c, LlamaWeights w) {
        Objects.requireNonNull(c, "config");
        int qDim = c.heads() * c.headDim(), kvDim = c.kvHeads() * c.headDim();
        Layer[] layers = new Layer[c.layers()];
        boolean swiglu = c.block().mlp() == BlockLayout.Mlp.SWIGLU;
        boolean layerNorm = c.block().norm() == BlockLayout.Norm.LAYER;
        for (int l = 0; l < c.layers(); l++) {
            layers[l] = new Layer(
                    vector(w.attentionNorm(l), c.dim()), layerNorm ? vector(w.attentionNormBias(l), c.dim()) : null,
                    matrix(w.wq(l), qDim, c.dim()), matrix(w.wk(l), kvDim, c.dim()), matrix(w.wv(l), kvDim, c.dim()),
                    matrix(w.wo(l), c.dim(), qDim),
                    bias(w.bq(l), qDim), bias(w.bk(l), kvDim), bias(w.bv(l), kvDim), bias(w.bo(l), c.dim()),
                    c.block().parallelResidual() ? null : vector(w.ffnNorm(l), c.dim()),
                    swiglu ? matrix(w.ffnGate(l), c.hiddenDim(), c.dim()) : null,
                    matrix(w.ffnUp(l), c.hiddenDim(), c.dim()), bias(w.upBias(l), c.hiddenDim()),
                    matrix(w.ffnDown(l), c.dim(), c.hiddenDim()), bias(w.downBias(l), c.dim()));
        }
        WeightTensor emb = w.tokenEmbedding();
        check(emb, c.vocabSize(), c.dim());
        return new LlamaModel(c, layers, emb, vector(w.finalNorm(), c.dim()),
                layerNorm ? vector(w.finalNormBias(), c.dim()) : null, matrix(w.output(), c.vocabSize(), c.dim()),
                bias(w.outputBias(), c.vocabSize()));
    }

    private static Linear matrix(WeightTensor t, int rows, int cols) {
        check(t, rows, cols);
        return Linear.of(t);
    }

    private static void check(WeightTensor t, int rows, int cols) {
        Objects.requireNonNull(t, "weight tensor");
        if (t.shape().length != 2 || t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException("tensor " + t.name() + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + rows + ", " + cols + "]");
        }
    }

    private static float[] vector(WeightTensor t, int n) {
        Objects.requireNonNull(t, "weight tensor");
        if (t.elementCount() != n) {
            throw new IllegalArgumentException("tensor " + t.name() + " has " + t.elementCount() + " elements, expected " + n);
        }
        return Dequant.all(t);
    }

    private static float[] bias(WeightTensor t, int n) {
        return t == null ? null : vector(t, n);
    }

    public ModelConfig config() { return config; }

    Layer layer(int l) { return layers[l]; }

    WeightTensor embedding() { return embedding; }

    float[] finalNorm() { return finalNorm; }

    float[] finalNormBias() { return finalNormBias; }

    Linear output() { return output; }

    float[] outputBias() { return outputBias; }

    /**
     * Bytes of weights one decoded token reads: every layer matrix and the output head in the encoding the kernels
     * read (F32 panels include their padding rows). The embedding row, norm vectors and KV cache are left out.
     */
    public long weightBytesPerToken() {
        long n = output.weightBytes();
        for (Layer l : layers) {
            for (Linear m : new Linear[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                n += m == null ? 0 : m.weightBytes();
            }
        }
        return n;
    }

    /** Floats of worker scratch the largest of the matrices' kernels needs. */
    int scratchSize() {
        int n = output.scratchSize();
        for (Layer l : layers) {
            for (Linear m : new Linear[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                n = m == null ? n : Math.max(n, m.scratchSize());
            }
        }
        return n;
    }

    /** Parameter count (embedding counted once when tied). */
    public long parameters() {
        long n = embedding.elementCount() + finalNorm.length + length(finalNormBias) + length(outputBias);
        if (!config.tiedEmbeddings()) {
            n += (long) output.rows() * output.cols();
        }
        for (Layer l : layers) {
            for (Linear m : new Linear[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                n += m == null ? 0 : (long) m.rows() * m.cols();
            }
            for (float[] b : new float[][] {l.attentionNorm(), l.attentionNormBias(), l.ffnNorm(), l.bq(), l.bk(),
                    l.bv(), l.bo(), l.upBias(), l.downBias()}) {
                n += length(b);
            }
        }
        return n;
    }

    private static int length(float[] a) {
        return a == null ? 0 : a.length;
    }

    /** A new session with a KV cache for {@code contextLength} positions. */
    public LlamaSession newSession(int contextLength, AttentionPlan plan, WorkerPool pool) {
        return new LlamaSession(this, contextLength, plan, pool);
    }
}
