package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@link Model} every loader returns. It owns the shared arena its files are mapped into: {@link #close()}
 * unmaps them. Asking a closed model for its weights is an {@link IllegalStateException} naming the file; reading a
 * tensor segment obtained before closing fails in FFM with "Already closed" (also an IllegalStateException).
 */
public final class LoadedModel implements Model {
    private final Path source;
    private final ModelConfig config;
    private final LlamaWeights weights;
    private final Tokenizer tokenizer;
    private final List<WeightTensor> tensors;
    private final Map<String, Object> metadata;
    private final Arena arena;
    private volatile boolean closed;

    public LoadedModel(Path source, ModelConfig config, LlamaWeights weights, Tokenizer tokenizer,
                       List<WeightTensor> tensors, Map<String, Object> metadata, Arena arena) {
        this.source = source;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.tensors = List.copyOf(tensors);
        this.metadata = metadata;
        this.arena = arena;
    }

    /** The path the model was opened from. */
    public Path source() { return source; }

    @Override
    public ModelConfig config() { return config; }

    @Override
    public LlamaWeights weights() {
        ensureOpen();
        return weights;
    }

    @Override
    public Tokenizer tokenizer() { return tokenizer; }

    @Override
    public List<WeightTensor> tensors() {
        ensureOpen();
        return tensors;
    }

    @Override
    public WeightScanner.Report checkWeights(WorkerPool pool) throws NonFiniteWeightException {
        return WeightScanner.scan(source, tensors(), pool);
    }

    /** Format-specific key/values (GGUF metadata, config.json fields, llama2.c header), in file order. */
    public Map<String, Object> metadata() { return metadata; }

    public boolean isClosed() { return closed; }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model " + source + " is closed; its weights are unmapped");
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
