package dev.hyperattention4j.llm.train;

/**
 * Softmax cross-entropy of one logits row against its target token, and the gradient
 * {@code dlogits = scale·(softmax(logits) − onehot(target))}, written over the logits. Sums in double.
 */
final class CrossEntropy {
    private CrossEntropy() {
    }

    /** The NLL of {@code target} under {@code softmax(row)}; with {@code scale != 0} the row becomes its gradient. */
    static double lossAndGradient(float[] logits, int off, int vocab, int target, float scale, boolean gradient) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) {
            max = Math.max(max, logits[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < vocab; j++) {
            sum += StrictMath.exp(logits[off + j] - max);
        }
        double lse = max + StrictMath.log(sum);
        double nll = lse - logits[off + target];
        if (gradient) {
            for (int j = 0; j < vocab; j++) {
                logits[off + j] = (float) (scale * StrictMath.exp(logits[off + j] - lse));
            }
            logits[off + target] -= scale;
        }
        return nll;
    }
}
