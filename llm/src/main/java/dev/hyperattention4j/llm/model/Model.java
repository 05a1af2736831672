package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.tokenizer.Tokenizer;
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

    @Override
    void close();
}
