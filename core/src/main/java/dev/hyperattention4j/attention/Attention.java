package dev.hyperattention4j.attention;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Scaled dot-product attention. Implementations are interchangeable: the exact kernels
 * ({@link dev.hyperattention4j.reference.NaiveAttention}, {@link FlashAttention}) and the approximate HyperAttention
 * all take an {@link AttentionProblem} and write its
 * output (and log-sum-exp when requested). The LLM runtime plugs one implementation per layer.
 *
 * <p>Implementations are thread-safe: one instance may serve concurrent calls.
 */
public interface Attention {

    /** Computes {@code problem.output()} and, when non-null, {@code problem.logSumExp()}. */
    void forward(AttentionProblem problem);

    /** A short name for tables ("naive", "flash", "hyper"). */
    String name();

    /** Convenience: a new output tensor for {@code softmax(Q·Kᵀ/sqrt(d))·V}. */
    default FloatTensor forward(FloatTensor query, FloatTensor key, FloatTensor value, boolean causal) {
        AttentionProblem p = AttentionProblem.of(query, key, value).withCausal(causal);
        forward(p);
        return p.output();
    }
}
