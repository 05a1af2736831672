package dev.hyperattention4j.attention;

import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Exact attention for training: the {@link FlashAttention} forward pass, which saves the log-sum-exp, and the
 * {@link FlashBackward} tiled backward pass. The context is the forward's problem itself: Q, K, V, O and L, nothing
 * of size nq×nk.
 */
public final class TrainableFlashAttention implements TrainableAttention {
    private final FlashAttention forward;
    private final FlashBackward backward;

    public TrainableFlashAttention() {
        this(WorkerPool.shared());
    }

    public TrainableFlashAttention(WorkerPool pool) {
        this.forward = new FlashAttention(pool);
        this.backward = new FlashBackward(pool);
    }

    /** The saved state of an exact forward pass: the problem, with its output and log-sum-exp filled in. */
    public record Context(AttentionProblem problem) implements BackwardContext {
        public Context {
            if (problem == null || problem.logSumExp() == null) {
                throw new IllegalArgumentException("an exact backward context needs a problem with a log-sum-exp");
            }
        }
    }

    @Override
    public String name() {
        return "flash";
    }

    @Override
    public BackwardContext forward(AttentionProblem problem, boolean saveForBackward) {
        AttentionProblem p = saveForBackward && problem.logSumExp() == null ? problem.withLogSumExp() : problem;
        forward.forward(p);
        return saveForBackward ? new Context(p) : null;
    }

    @Override
    public Gradients backward(BackwardContext context, FloatTensor outputGrad, float[] lseGrad) {
        if (!(context instanceof Context(AttentionProblem p))) {
            throw new IllegalArgumentException("context " + (context == null ? "null" : context.getClass().getName())
                    + " was not made by an exact attention forward pass");
        }
        return backward.backward(p, outputGrad, lseGrad);
    }
}
