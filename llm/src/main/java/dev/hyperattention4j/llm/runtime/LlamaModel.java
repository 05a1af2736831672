package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Objects;

/**
 * A Llama-family network prepared for inference: float matrices packed into SIMD panels, quantised ones kept in
 * their blocks, norm vectors and biases decoded. Immutable and shareable; the mutable state of a run (KV cache,
 * activations) lives in a {@link LlamaSession}.
 */
public final class LlamaModel {
    /** The weights of one transformer block. Biases are null when the model has none. */
    record Layer(float[] attentionNorm, Linear wq, Linear wk, Linear wv, Linear wo, float[] bq, float[] bk,
                 float[] bv, float[] ffnNorm, Linear gate, Linear up, Linear down) {
    }

    private final ModelConfig config;
    private final Layer[] layers;
    private final WeightTensor embedding;
    private final float[] finalNorm;
    private final Linear output;

    private LlamaModel(ModelConfig config, Layer[] layers, WeightTensor embedding, float[] finalNorm, Linear output) {
        this.config = config;
        this.layers = layers;
        this.embedding = embedding;
        this.finalNorm = finalNorm;
        this.output = output;
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
        for (int l = 0; l < c.layers(); l++) {
            layers[l] = new Layer(
                    vector(w.attentionNorm(l), c.dim()),
                    matrix(w.wq(l), qDim, c.dim()), matrix(w.wk(l), kvDim, c.dim()), matrix(w.wv(l), kvDim, c.dim()),
                    matrix(w.wo(l), c.dim(), qDim),
                    bias(w.bq(l), qDim), bias(w.bk(l), kvDim), bias(w.bv(l), kvDim),
                    vector(w.ffnNorm(l), c.dim()),
                    matrix(w.ffnGate(l), c.hiddenDim(), c.dim()), matrix(w.ffnUp(l), c.hiddenDim(), c.dim()),
                    matrix(w.ffnDown(l), c.dim(), c.hiddenDim()));
        }
        WeightTensor emb = w.tokenEmbedding();
        check(emb, c.vocabSize(), c.dim());
        return new LlamaModel(c, layers, emb, vector(w.finalNorm(), c.dim()),
                matrix(w.output(), c.vocabSize(), c.dim()));
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

    Linear output() { return output; }

    /** Parameter count (embedding counted once when tied). */
    public long parameters() {
        long n = embedding.elementCount() + finalNorm.length;
        if (!config.tiedEmbeddings()) {
            n += (long) output.rows() * output.cols();
        }
        for (Layer l : layers) {
            n += l.attentionNorm().length + l.ffnNorm().length;
            for (Linear m : new Linear[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                n += (long) m.rows() * m.cols();
            }
            for (float[] b : new float[][] {l.bq(), l.bk(), l.bv()}) {
                n += b == null ? 0 : b.length;
            }
        }
        return n;
    }

    /** A new session with a KV cache for {@code contextLength} positions. */
    public LlamaSession newSession(int contextLength, AttentionPlan plan, WorkerPool pool) {
        return new LlamaSession(this, contextLength, plan, pool);
    }
}
