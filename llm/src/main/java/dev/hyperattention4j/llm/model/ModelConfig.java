package dev.hyperattention4j.llm.model;

/**
 * The one model description every format is read into (Llama family: Llama, Mistral, Qwen2, SmolLM, llama2.c).
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
 */
public record ModelConfig(String format, String architecture, int dim, int hiddenDim, int layers, int heads,
                          int kvHeads, int headDim, int vocabSize, int contextLength, float normEps, float ropeTheta,
                          RopeStyle ropeStyle, boolean tiedEmbeddings, boolean attentionBias, int bosId, int eosId) {
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
        if (!(normEps > 0) || !(ropeTheta > 0) || ropeStyle == null) {
            throw new IllegalArgumentException("normEps and ropeTheta must be > 0 and ropeStyle set: " + normEps + ", "
                    + ropeTheta + ", " + ropeStyle);
        }
    }

    private static void check(boolean ok, String field, long value) {
        if (!ok) {
            throw new IllegalArgumentException("model config field " + field + " has an invalid value " + value);
        }
    }

    /** Query heads per KV head. */
    public int groupSize() { return heads / kvHeads; }
}
