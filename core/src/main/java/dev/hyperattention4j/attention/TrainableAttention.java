package dev.hyperattention4j.attention;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * An {@link Attention} that can also compute gradients, for training. Usage:
 *
 * <pre>{@code
 * TrainableAttention attention = new TrainableFlashAttention();
 * AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true);
 * BackwardContext ctx = attention.forward(p, true);      // fills p.output(), saves what backward needs
 * FloatTensor dOut = ...;                                // dLoss/dOutput, shaped like the output
 * Gradients g = attention.backward(ctx, dOut);           // dLoss/dQ, dLoss/dK, dLoss/dV
 * }</pre>
 *
 * <p>The backward pass recomputes attention probabilities tile by tile from the saved log-sum-exp, so it never
 * holds an nq×nk buffer; it is deterministic (bit-identical for any thread count).
 */
public interface TrainableAttention extends Attention {

    /**
     * Runs the forward pass into {@code problem.output()}. With {@code saveForBackward}, also fills the
     * log-sum-exp (allocating it when the problem has none) and returns the context {@link #backward} needs;
     * otherwise returns {@code null}.
     */
    BackwardContext forward(AttentionProblem problem, boolean saveForBackward);

    /** Gradients of the loss with respect to Q, K and V, given {@code outputGrad} = dLoss/dOutput. */
    default Gradients backward(BackwardContext context, FloatTensor outputGrad) {
        return backward(context, outputGrad, null);
    }

    /**
     * As {@link #backward(BackwardContext, FloatTensor)}, when the loss also depends on the log-sum-exp:
     * {@code lseGrad} is dLoss/dL {@code [B][Hq][nq]} (contiguous, like {@link AttentionProblem#logSumExp()}), or
     * null for zero.
     */
    Gradients backward(BackwardContext context, FloatTensor outputGrad, float[] lseGrad);

    @Override
    default void forward(AttentionProblem problem) {
        forward(problem, false);
    }
}
