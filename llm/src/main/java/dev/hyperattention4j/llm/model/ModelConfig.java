package dev.hyperattention4j.llm.model;

/**
 * The one model description every format is read into (Llama, Mistral, Qwen2, SmolLM, llama2.c, phi, ChatGLM).
 *
 * @param format          "safetensors", "gguf" or "llama2c"
 * @param architecture    e.g. "llama", "mistral", "qwen2"
 * @param dim             model (hidden) width
 * @param hiddenDim       feed-forward inner width
 * @param layers          transformer blocks
 * @param heads           query heads
 * @param kvHeads         key/value heads (heads is a multiple of it)
 * @param headDim         width of one head (usually dim / heads)
 * @param vocabSize       vocabulary entries (rows of the embedding)
 * @param contextLength   trained context length (informative; the runtime accepts longer)
 * @param normEps         RMSNorm epsilon
 * @param ropeTheta       RoPE base
 * @param ropeStyle       pairing convention of RoPE
 * @param tiedEmbeddings  the output head reuses the token embedding
 * @param attentionBias   q/k/v projections have biases (Qwen2)
 * @param bosId           beginning-of-sequence token, or -1
 * @param eosId           end-of-sequence token, or -1
 * @param block           norm, residual and MLP form of the blocks
 * @param rotaryDims      leading dimensions of each head that RoPE rotates (headDim unless partial rotary)
 * @param ropeScaling     rescaling of the rotary frequencies for long contexts
 * @param slidingWindow   keys a query attends to (itself included), or 0 for the whole context
 */
public record ModelConfig(String format, String architecture, int dim, int hiddenDim, int layers, int heads,
                          int kvHeads, int headDim, int vocabSize, int contextLength, float normEps, float ropeTheta,
                          RopeStyle ropeStyle, boolean tiedEmbeddings, boolean attentionBias, int bosId, int eosId,
                          BlockLayout block, int rotaryDims, RopeScaling ropeScaling, int slidingWindow) {
    /** A Llama-layout model with full rotary dimensions, no RoPE scaling and no sliding window. */
    public ModelConfig(String format, String architecture, int dim, int hiddenDim, int layers, int heads, int kvHeads,
                       int headDim, int vocabSize, int contextLength, float normEps, float ropeTheta,
                       RopeStyle ropeStyle, boolean tiedEmbeddings, boolean attentionBias, int bosId, int eosId) {
        this(format, architecture, dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize, contextLength, normEps,
                ropeTheta, ropeStyle, tiedEmbeddings, attentionBias, bosId, eosId, BlockLayout.LLAMA, headDim,
                RopeScaling.NONE, 0);
    }

    /**
     * Norm epsilons are added to a mean of squares: real ones are 1e-6 to 1e-5, and 1 or more (or +Inf) would flatten
     * every activation, so the runtime refuses them instead of printing a perplexity of the vocabulary size.
     */
    public static final double MAX_NORM_EPS = 1;
    /**
     * RoPE bases: real ones are 10,000 to a few million (long-context models up to about 1e8); below 1 the
     * frequencies grow with the dimension, far above 1e10 (or +Inf) every rotation is the identity.
     */
    public static final double MIN_ROPE_THETA = 1, MAX_ROPE_THETA = 1e10;

    public ModelConfig {
        check(dim > 0 && dim <= 1 << 16, "dim", dim);
        check(hiddenDim > 0 && hiddenDim <= 1 << 18, "hiddenDim", hiddenDim);
        check(layers > 0 && layers <= 1024, "layers", layers);
        check(heads > 0 && heads <= 1024, "heads", heads);
        check(kvHeads > 0 && kvHeads <= heads && heads % kvHeads == 0, "kvHeads (must divide heads=" + heads + ")",
                kvHeads);
        check(headDim > 0 && headDim <= 1024, "headDim", headDim);
        check(headDim % 2 == 0, "headDim (RoPE needs an even head dim)", headDim);
        check(vocabSize > 0 && vocabSize <= 1 << 22, "vocabSize", vocabSize);
        check(contextLength > 0, "contextLength", contextLength);
        if (!(normEps > 0 && normEps < MAX_NORM_EPS) || !(ropeTheta >= MIN_ROPE_THETA && ropeTheta <= MAX_ROPE_THETA)
                || ropeStyle == null) {
            throw new IllegalArgumentException("normEps must be in (0, " + MAX_NORM_EPS + "), ropeTheta in ["
                    + MIN_ROPE_THETA + ", " + MAX_ROPE_THETA + "] and ropeStyle set: " + normEps + ", " + ropeTheta
                    + ", " + ropeStyle);
        }
        check(bosId >= -1 && bosId < vocabSize, "bosId (a token id below vocabSize=" + vocabSize + ", or -1)", bosId);
        check(eosId >= -1 && eosId < vocabSize, "eosId (a token id below vocabSize=" + vocabSize + ", or -1)", eosId);
        if (block == null || ropeScaling == null) {
            throw new IllegalArgumentException("block layout and rope scaling must be set");
        }
        check(rotaryDims > 0 && rotaryDims <= headDim && rotaryDims % 2 == 0,
                "rotaryDims (even, at most headDim=" + headDim + ")", rotaryDims);
        check(ropeScaling.divisors() == null || ropeScaling.divisors().length == rotaryDims / 2,
                "rope frequency divisors (one per rotary pair, " + rotaryDims / 2 + ")",
                ropeScaling.divisors() == null ? 0 : ropeScaling.divisors().length);
        check(slidingWindow >= 0, "slidingWindow", slidingWindow);
    }

    /** The same configuration with other BOS/EOS ids (a tokenizer file may supply them). */
    public ModelConfig withSpecialIds(int bos, int eos) {
        return new ModelConfig(format, architecture, dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize,
                contextLength, normEps, ropeTheta, ropeStyle, tiedEmbeddings, attentionBias, bos, eos, block,
                rotaryDims, ropeScaling, slidingWindow);
    }

    private static void check(boolean ok, String field, long value) {
        if (!ok) {
            throw new IllegalArgumentException("model config field " + field + " has an invalid value " + value);
        }
    }

    /** Query heads per KV head. */
    public int groupSize() { return heads / kvHeads; }
}
