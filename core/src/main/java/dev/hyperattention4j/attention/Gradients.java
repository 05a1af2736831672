package dev.hyperattention4j.attention;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Gradients of a scalar loss with respect to one attention call's inputs: {@code query} has Q's shape
 * {@code [B][Hq][nq][d]}; {@code key} and {@code value} have K's and V's shape {@code [B][Hkv][nk][d]}. With
 * grouped-query attention, the gradient of a shared KV head is the sum over the query heads that read it.
 */
public record Gradients(FloatTensor query, FloatTensor key, FloatTensor value) {

    public Gradients {
        if (query == null || key == null || value == null) {
            throw new IllegalArgumentException("gradient tensors must not be null");
        }
    }

    /** Zero-filled contiguous gradients shaped like the problem's Q, K and V. */
    public static Gradients zerosLike(AttentionProblem p) {
        return new Gradients(
                FloatTensor.zeros(p.batch(), p.queryHeads(), p.queryLength(), p.headDim()),
                FloatTensor.zeros(p.batch(), p.kvHeads(), p.keyLength(), p.headDim()),
                FloatTensor.zeros(p.batch(), p.kvHeads(), p.keyLength(), p.headDim()));
    }
}
