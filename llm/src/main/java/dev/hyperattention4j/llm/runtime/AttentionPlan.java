package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.attention.Attention;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Which attention each layer uses for multi-token (prefill) calls: {@code exact} everywhere, or a patched kernel
 * (HyperAttention in the paper's setting) in the last {@code patchLast} layers, one instance per layer (so each
 * layer gets its own seeded projections). Single-token decode always attends exactly over the KV cache.
 */
public final class AttentionPlan {
    private final Attention exact;
    private final Attention[] patched;   // per layer; null entries use exact
    private final int patchLast;

    private AttentionPlan(Attention exact, Attention[] patched, int patchLast) {
        this.exact = Objects.requireNonNull(exact, "exact attention");
        this.patched = patched;
        this.patchLast = patchLast;
    }

    /** Exact attention in every layer. */
    public static AttentionPlan exact(Attention exact) {
        return new AttentionPlan(exact, null, 0);
    }

    /**
     * {@code patch.apply(layer)} in the last {@code patchLast} of {@code layers} layers (all of them when
     * patchLast >= layers), {@code exact} elsewhere.
     */
    public static AttentionPlan patchLast(Attention exact, int patchLast, int layers, IntFunction<Attention> patch) {
        if (patchLast < 0) {
            throw new IllegalArgumentException("patchLast must be >= 0, got " + patchLast);
        }
        if (patchLast == 0) {
            return exact(exact);
        }
        Attention[] p = new Attention[layers];
        for (int l = Math.max(0, layers - patchLast); l < layers; l++) {
            p[l] = Objects.requireNonNull(patch.apply(l), "patched attention of layer " + l);
        }
        return new AttentionPlan(exact, p, Math.min(patchLast, layers));
    }

    public Attention exact() {
        return exact;
    }

    public int patchLast() {
        return patchLast;
    }

    public Attention forLayer(int layer) {
        return patched != null && layer < patched.length && patched[layer] != null ? patched[layer] : exact;
    }

    public String describe() {
        if (patched == null) {
            return "exact (" + exact.name() + ") in every layer";
        }
        String name = Arrays.stream(patched).filter(Objects::nonNull).findFirst().map(Attention::name).orElse("?");
        return name + " in the last " + patchLast + " of " + patched.length + " layers, exact (" + exact.name()
                + ") elsewhere";
    }
}
