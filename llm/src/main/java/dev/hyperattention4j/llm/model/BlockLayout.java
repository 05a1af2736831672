package dev.hyperattention4j.llm.model;

/**
 * The shape of one transformer block, the part that differs between the supported architectures (everything else,
 * including the projections' biases, follows from which tensors the file holds).
 *
 * @param norm             RMSNorm (Llama, Qwen2, ChatGLM) or LayerNorm with bias (phi)
 * @param parallelResidual attention and MLP both read the same normed input and add to the residual together (phi:
 *                         {@code x + attn(n(x)) + mlp(n(x))}), instead of one after the other with a second norm
 * @param mlp              the feed-forward form
 */
public record BlockLayout(Norm norm, boolean parallelResidual, Mlp mlp) {
    public enum Norm { RMS, LAYER }

    /** SWIGLU: {@code down(silu(gate·x) ⊙ up·x)}; GELU: {@code down(gelu(up·x))} with GELU's tanh form. */
    public enum Mlp { SWIGLU, GELU }

    /** Llama, Mistral, Qwen2, ChatGLM: pre-norm RMSNorm, sequential residuals, SwiGLU. */
    public static final BlockLayout LLAMA = new BlockLayout(Norm.RMS, false, Mlp.SWIGLU);
    /** phi-1.5 / phi-2: one LayerNorm feeding attention and a GELU MLP in parallel. */
    public static final BlockLayout PHI = new BlockLayout(Norm.LAYER, true, Mlp.GELU);

    public BlockLayout {
        if (norm == null || mlp == null) {
            throw new IllegalArgumentException("block layout needs a norm and an MLP kind");
        }
        if (norm == Norm.LAYER && !parallelResidual) {
            // the sequential form would need a second, biased norm, which no supported architecture has
            throw new IllegalArgumentException("a LayerNorm block is only supported in the parallel (phi) form");
        }
    }

    public String describe() {
        return (norm == Norm.RMS ? "RMSNorm" : "LayerNorm") + ", " + (parallelResidual ? "parallel" : "sequential")
                + " attention/MLP, " + (mlp == Mlp.SWIGLU ? "SwiGLU" : "GELU") + " MLP";
    }
}
