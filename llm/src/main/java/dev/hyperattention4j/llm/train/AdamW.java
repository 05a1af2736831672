package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.runtime.WorkerPool;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): per value, {@code m ← β₁m + (1−β₁)g},
 * {@code v ← β₂v + (1−β₂)g²}, {@code p ← p − lr·(m̂/(√v̂ + ε) + λ·p)} with the bias-corrected moments
 * {@code m̂ = m/(1−β₁ᵗ)}, {@code v̂ = v/(1−β₂ᵗ)}. Weight decay applies to matrices only (embedding, projections,
 * head), not to norm weights or biases. Element-wise, so any split across threads gives the same bits.
 */
public final class AdamW {
    /** The optimizer's settings. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)
                    || !Double.isFinite(weightDecay)) {
                throw new IllegalArgumentException("AdamW needs 0 <= beta1, beta2 < 1, eps > 0 and weight decay >= 0: "
                        + beta1 + ", " + beta2 + ", " + eps + ", " + weightDecay);
            }
        }

        /** β₁ 0.9, β₂ 0.95, ε 1e-8, weight decay 0.1 (common for small language models). */
        public static Settings defaults() {
            return new Settings(0.9, 0.95, 1e-8, 0.1);
        }
    }

    private static final int CHUNK = 1 << 14;

    private final Settings settings;
    private final LlamaParameters m;
    private final LlamaParameters v;

    /** Fresh (zero) moments shaped like {@code params}. */
    public AdamW(Settings settings, LlamaParameters params) {
        this(settings, params.zerosLike(), params.zerosLike());
    }

    /** Moments restored from a checkpoint. */
    public AdamW(Settings settings, LlamaParameters firstMoment, LlamaParameters secondMoment) {
        this.settings = settings;
        this.m = firstMoment;
        this.v = secondMoment;
    }

    public Settings settings() { return settings; }

    public LlamaParameters firstMoment() { return m; }

    public LlamaParameters secondMoment() { return v; }

    /** Update number {@code step} (1-based) with learning rate {@code lr} and gradients {@code g}. */
    public void update(LlamaParameters p, LlamaParameters g, long step, double lr, WorkerPool pool) {
        float b1 = (float) settings.beta1(), b2 = (float) settings.beta2();
        float c1 = (float) (1 / (1 - StrictMath.pow(settings.beta1(), step)));
        float c2 = (float) (1 / (1 - StrictMath.pow(settings.beta2(), step)));
        float eps = (float) settings.eps(), rate = (float) lr;
        List<LlamaParameters.Tensor> ps = p.tensors();
        for (int i = 0; i < ps.size(); i++) {
            float[] w = ps.get(i).data(), gi = g.tensors().get(i).data();
            float[] mi = m.tensors().get(i).data(), vi = v.tensors().get(i).data();
            float decay = ps.get(i).shape().length == 2 ? (float) settings.weightDecay() : 0f;
            int units = (w.length + CHUNK - 1) / CHUNK;
            pool.run(units, (worker, u) -> {
                for (int k = u * CHUNK, end = Math.min(w.length, k + CHUNK); k < end; k++) {
                    float gk = gi[k];
                    mi[k] = b1 * mi[k] + (1 - b1) * gk;
                    vi[k] = b2 * vi[k] + (1 - b2) * gk * gk;
                    float step1 = (mi[k] * c1) / ((float) Math.sqrt(vi[k] * c2) + eps);
                    w[k] -= rate * (step1 + decay * w[k]);
                }
            });
        }
    }
}
