package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.List;

/**
 * An opened model file: its description, weights and tokenizer. Owns the memory mappings (an FFM shared arena):
 * {@link #close()} unmaps them, and any later use of the weights is an {@link IllegalStateException}.
 */
public interface Model extends AutoCloseable {
    ModelConfig config();

    LlamaWeights weights();

    Tokenizer tokenizer();

    /** Every tensor of the file, in file order (for {@code inspect}). */
    List<WeightTensor> tensors();

    /**
     * Reads every weight once and fails on the first NaN or infinity (in tensor order), so a corrupt file is
     * rejected before it produces NaN logits. Opt-in: it touches every byte of the file ({@link WeightScanner}).
     *
     * @param pool the threads that share the scan
     * @throws NonFiniteWeightException naming the tensor, its type, the first bad element and its value
     */
    WeightScanner.Report checkWeights(WorkerPool pool) throws NonFiniteWeightException;

    /** {@link #checkWeights(WorkerPool)} on the process-wide pool. */
    default WeightScanner.Report checkWeights() throws NonFiniteWeightException {
        return checkWeights(WorkerPool.shared());
    }

    @Override
    void close();
}
