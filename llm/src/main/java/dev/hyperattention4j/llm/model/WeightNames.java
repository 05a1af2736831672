package dev.hyperattention4j.llm.model;

/**
 * How one file format names the Llama tensors. Per-layer names contain one {@code %d} for the layer index.
 * Bias names are only looked up when the model has attention biases.
 */
public record WeightNames(String tokenEmbedding, String output, String finalNorm, String attentionNorm, String wq,
                          String wk, String wv, String wo, String ffnNorm, String ffnGate, String ffnDown,
                          String ffnUp, String bq, String bk, String bv) {

    /** Hugging Face transformers (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM). */
    public static final WeightNames HUGGING_FACE = new WeightNames("model.embed_tokens.weight", "lm_head.weight",
            "model.norm.weight", "model.layers.%d.input_layernorm.weight", "model.layers.%d.self_attn.q_proj.weight",
            "model.layers.%d.self_attn.k_proj.weight", "model.layers.%d.self_attn.v_proj.weight",
            "model.layers.%d.self_attn.o_proj.weight", "model.layers.%d.post_attention_layernorm.weight",
            "model.layers.%d.mlp.gate_proj.weight", "model.layers.%d.mlp.down_proj.weight",
            "model.layers.%d.mlp.up_proj.weight", "model.layers.%d.self_attn.q_proj.bias",
            "model.layers.%d.self_attn.k_proj.bias", "model.layers.%d.self_attn.v_proj.bias");

    /** llama.cpp GGUF names. */
    public static final WeightNames GGUF = new WeightNames("token_embd.weight", "output.weight", "output_norm.weight",
            "blk.%d.attn_norm.weight", "blk.%d.attn_q.weight", "blk.%d.attn_k.weight", "blk.%d.attn_v.weight",
            "blk.%d.attn_output.weight", "blk.%d.ffn_norm.weight", "blk.%d.ffn_gate.weight",
            "blk.%d.ffn_down.weight", "blk.%d.ffn_up.weight", "blk.%d.attn_q.bias", "blk.%d.attn_k.bias",
            "blk.%d.attn_v.bias");

    /** Names we give to the slices of a llama2.c checkpoint (those of its PyTorch model.py). */
    public static final WeightNames LLAMA2C = new WeightNames("tok_embeddings.weight", "output.weight",
            "norm.weight", "layers.%d.attention_norm.weight", "layers.%d.attention.wq.weight",
            "layers.%d.attention.wk.weight", "layers.%d.attention.wv.weight", "layers.%d.attention.wo.weight",
            "layers.%d.ffn_norm.weight", "layers.%d.feed_forward.w1.weight", "layers.%d.feed_forward.w2.weight",
            "layers.%d.feed_forward.w3.weight", "layers.%d.attention.wq.bias", "layers.%d.attention.wk.bias",
            "layers.%d.attention.wv.bias");

    /** The name of layer {@code layer}'s tensor (plain replace: String.format is slow on a cold JVM). */
    public static String layer(String pattern, int layer) { return pattern.replace("%d", Integer.toString(layer)); }
}
