package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.kernel.FixedExp;
import dev.hyperattention4j.llm.runtime.Linear;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax cross-entropy of one logits row against its target token, and the gradient
 * {@code dlogits = scale·(softmax(logits) − onehot(target))}, written over the logits.
 *
 * <p>One exponential per logit ({@link FixedExp}, vectorised, the same bits in any JIT state): {@code e_j =
 * exp(l_j − max)} gives both the normaliser {@code Σ e_j} and, scaled by {@code scale / Σ e_j}, the gradient. The
 * loss {@code max + ln Σ e_j − l_target} is formed in double.
 */
final class CrossEntropy {
    private static final VectorSpecies<Float> S = Linear.SPECIES;

    private CrossEntropy() {
    }

    /** The NLL of {@code target} under {@code softmax(row)}; with {@code gradient} the row becomes its gradient. */
    static double lossAndGradient(float[] logits, int off, int vocab, int target, float scale, boolean gradient) {
        float max = max(logits, off, vocab);
        double targetLogit = logits[off + target];
        float sum = FixedExp.expSum(logits, off, vocab, 1f, -max, gradient);
        double nll = max + StrictMath.log(sum) - targetLogit;
        if (gradient) {
            float f = scale / sum;
            int j = 0;
            for (int bound = S.loopBound(vocab); j < bound; j += S.length()) {
                FloatVector.fromArray(S, logits, off + j).mul(f).intoArray(logits, off + j);
            }
            for (; j < vocab; j++) {
                logits[off + j] *= f;
            }
            logits[off + target] -= scale;
        }
        return nll;
    }

    private static float max(float[] a, int off, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            m = m.max(FloatVector.fromArray(S, a, off + j));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, a[off + j]);
        }
        return max;
    }
}
