package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.attention.Attention;
import java.util.Objects;

/**
 * Which attention each layer uses for multi-token (prefill) calls: {@code exact} everywhere, except the last
 * {@code patchLast} layers, which use {@code patched} (HyperAttention in the paper's setting). Single-token decode
 * always attends exactly over the KV cache.
 */
public record AttentionPlan(Attention exact, Attention patched, int patchLast) {
    public AttentionPlan {
        Objects.requireNonNull(exact, "exact attention");
        if (patchLast < 0) {
            throw new IllegalArgumentException("patchLast must be >= 0, got " + patchLast);
        }
        if (patchLast > 0 && patched == null) {
            throw new IllegalArgumentException("patchLast = " + patchLast + " needs a patched attention");
        }
    }

    /** Exact attention in every layer. */
    public static AttentionPlan exact(Attention exact) {
        return new AttentionPlan(exact, null, 0);
    }

    public Attention forLayer(int layer, int layers) {
        return layer >= layers - patchLast ? patched : exact;
    }

    public String describe(int layers) {
        int l = Math.min(patchLast, layers);
        return l == 0 ? "exact (" + exact.name() + ") in all " + layers + " layers"
                : patched.name() + " in the last " + l + " of " + layers + " layers, exact (" + exact.name()
                        + ") elsewhere";
    }
}
