package dev.hyperattention4j.attention;

/**
 * What a training forward pass saved for its backward pass ({@link TrainableAttention#forward(AttentionProblem,
 * boolean)}). Every context holds the forward's {@link AttentionProblem}, whose Q, K, V and output tensors it
 * references (it does not copy them) and whose log-sum-exp array the forward filled. Approximate attentions add
 * their discrete choices (permutations, sample indices), O(n) in total.
 *
 * <p>The tensors must not change between the forward and the backward call: the backward recomputes the attention
 * probabilities from them and from the saved log-sum-exp.
 */
public interface BackwardContext {

    /** The forward call, with its output and its log-sum-exp filled in. */
    AttentionProblem problem();
}
