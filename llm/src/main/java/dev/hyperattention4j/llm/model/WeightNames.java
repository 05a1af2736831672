package dev.hyperattention4j.llm.model;

import java.util.EnumMap;
import java.util.Map;

/**
 * How one file format (and architecture) names the tensors of each {@link Role}. Per-layer names contain one
 * {@code %d} for the layer index. A role without a name does not exist in that naming (phi has no gate matrix,
 * GGUF's fused roles exist only for the architectures that fuse).
 */
public final class WeightNames {
    /** What a tensor is for, whatever the file calls it. */
    public enum Role {
        TOKEN_EMBEDDING, OUTPUT, OUTPUT_BIAS, FINAL_NORM, FINAL_NORM_BIAS,
        ATTN_NORM, ATTN_NORM_BIAS, WQ, WK, WV, BQ, BK, BV, WQKV, BQKV, WO, BO,
        FFN_NORM, GATE, UP, DOWN, GATE_UP, UP_BIAS, DOWN_BIAS;

        /** Whether the name holds a layer index. */
        public boolean perLayer() {
            return ordinal() >= ATTN_NORM.ordinal();
        }
    }

    private final Map<Role, String> patterns;

    private WeightNames(Map<Role, String> patterns) {
        this.patterns = new EnumMap<>(patterns);
    }

    private static WeightNames of(Object... roleThenName) {
        Map<Role, String> m = new EnumMap<>(Role.class);
        for (int i = 0; i < roleThenName.length; i += 2) {
            m.put((Role) roleThenName[i], (String) roleThenName[i + 1]);
        }
        return new WeightNames(m);
    }

    /** Hugging Face transformers (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM). */
    public static final WeightNames HUGGING_FACE = of(Role.TOKEN_EMBEDDING, "model.embed_tokens.weight",
            Role.OUTPUT, "lm_head.weight", Role.FINAL_NORM, "model.norm.weight",
            Role.ATTN_NORM, "model.layers.%d.input_layernorm.weight",
            Role.WQ, "model.layers.%d.self_attn.q_proj.weight", Role.WK, "model.layers.%d.self_attn.k_proj.weight",
            Role.WV, "model.layers.%d.self_attn.v_proj.weight", Role.WO, "model.layers.%d.self_attn.o_proj.weight",
            Role.FFN_NORM, "model.layers.%d.post_attention_layernorm.weight",
            Role.GATE, "model.layers.%d.mlp.gate_proj.weight", Role.DOWN, "model.layers.%d.mlp.down_proj.weight",
            Role.UP, "model.layers.%d.mlp.up_proj.weight", Role.BQ, "model.layers.%d.self_attn.q_proj.bias",
            Role.BK, "model.layers.%d.self_attn.k_proj.bias", Role.BV, "model.layers.%d.self_attn.v_proj.bias",
            Role.BO, "model.layers.%d.self_attn.o_proj.bias");

    /** Hugging Face PhiForCausalLM (phi-1.5, phi-2). */
    public static final WeightNames HUGGING_FACE_PHI = of(Role.TOKEN_EMBEDDING, "model.embed_tokens.weight",
            Role.OUTPUT, "lm_head.weight", Role.OUTPUT_BIAS, "lm_head.bias",
            Role.FINAL_NORM, "model.final_layernorm.weight", Role.FINAL_NORM_BIAS, "model.final_layernorm.bias",
            Role.ATTN_NORM, "model.layers.%d.input_layernorm.weight",
            Role.ATTN_NORM_BIAS, "model.layers.%d.input_layernorm.bias",
            Role.WQ, "model.layers.%d.self_attn.q_proj.weight", Role.WK, "model.layers.%d.self_attn.k_proj.weight",
            Role.WV, "model.layers.%d.self_attn.v_proj.weight", Role.BQ, "model.layers.%d.self_attn.q_proj.bias",
            Role.BK, "model.layers.%d.self_attn.k_proj.bias", Role.BV, "model.layers.%d.self_attn.v_proj.bias",
            Role.WO, "model.layers.%d.self_attn.dense.weight", Role.BO, "model.layers.%d.self_attn.dense.bias",
            Role.UP, "model.layers.%d.mlp.fc1.weight", Role.UP_BIAS, "model.layers.%d.mlp.fc1.bias",
            Role.DOWN, "model.layers.%d.mlp.fc2.weight", Role.DOWN_BIAS, "model.layers.%d.mlp.fc2.bias");

    /** ChatGLM2/3's own modelling code (ChatGLMForConditionalGeneration). */
    public static final WeightNames HUGGING_FACE_CHATGLM = of(
            Role.TOKEN_EMBEDDING, "transformer.embedding.word_embeddings.weight",
            Role.OUTPUT, "transformer.output_layer.weight", Role.FINAL_NORM, "transformer.encoder.final_layernorm.weight",
            Role.ATTN_NORM, "transformer.encoder.layers.%d.input_layernorm.weight",
            Role.WQKV, "transformer.encoder.layers.%d.self_attention.query_key_value.weight",
            Role.BQKV, "transformer.encoder.layers.%d.self_attention.query_key_value.bias",
            Role.WO, "transformer.encoder.layers.%d.self_attention.dense.weight",
            Role.FFN_NORM, "transformer.encoder.layers.%d.post_attention_layernorm.weight",
            Role.GATE_UP, "transformer.encoder.layers.%d.mlp.dense_h_to_4h.weight",
            Role.DOWN, "transformer.encoder.layers.%d.mlp.dense_4h_to_h.weight");

    /** llama.cpp GGUF names (the same for every architecture). */
    public static final WeightNames GGUF = of(Role.TOKEN_EMBEDDING, "token_embd.weight", Role.OUTPUT, "output.weight",
            Role.OUTPUT_BIAS, "output.bias", Role.FINAL_NORM, "output_norm.weight",
            Role.FINAL_NORM_BIAS, "output_norm.bias", Role.ATTN_NORM, "blk.%d.attn_norm.weight",
            Role.ATTN_NORM_BIAS, "blk.%d.attn_norm.bias", Role.WQ, "blk.%d.attn_q.weight",
            Role.WK, "blk.%d.attn_k.weight", Role.WV, "blk.%d.attn_v.weight", Role.BQ, "blk.%d.attn_q.bias",
            Role.BK, "blk.%d.attn_k.bias", Role.BV, "blk.%d.attn_v.bias", Role.WQKV, "blk.%d.attn_qkv.weight",
            Role.BQKV, "blk.%d.attn_qkv.bias", Role.WO, "blk.%d.attn_output.weight",
            Role.BO, "blk.%d.attn_output.bias", Role.FFN_NORM, "blk.%d.ffn_norm.weight",
            Role.GATE, "blk.%d.ffn_gate.weight", Role.UP, "blk.%d.ffn_up.weight", Role.DOWN, "blk.%d.ffn_down.weight",
            Role.UP_BIAS, "blk.%d.ffn_up.bias", Role.DOWN_BIAS, "blk.%d.ffn_down.bias");

    /** Names we give to the slices of a llama2.c checkpoint (those of its PyTorch model.py). */
    public static final WeightNames LLAMA2C = of(Role.TOKEN_EMBEDDING, "tok_embeddings.weight",
            Role.OUTPUT, "output.weight", Role.FINAL_NORM, "norm.weight",
            Role.ATTN_NORM, "layers.%d.attention_norm.weight", Role.WQ, "layers.%d.attention.wq.weight",
            Role.WK, "layers.%d.attention.wk.weight", Role.WV, "layers.%d.attention.wv.weight",
            Role.WO, "layers.%d.attention.wo.weight", Role.FFN_NORM, "layers.%d.ffn_norm.weight",
            Role.GATE, "layers.%d.feed_forward.w1.weight", Role.DOWN, "layers.%d.feed_forward.w2.weight",
            Role.UP, "layers.%d.feed_forward.w3.weight", Role.BQ, "layers.%d.attention.wq.bias",
            Role.BK, "layers.%d.attention.wk.bias", Role.BV, "layers.%d.attention.wv.bias");

    /** The name pattern of {@code role}, or null when this naming has no such tensor. */
    public String pattern(Role role) { return patterns.get(role); }

    /** The name of {@code role}'s tensor in layer {@code layer} (or the global tensor), or null. */
    public String name(Role role, int layer) {
        String p = patterns.get(role);
        return p == null ? null : role.perLayer() ? layer(p, layer) : p;
    }

    public String tokenEmbedding() { return pattern(Role.TOKEN_EMBEDDING); }
    public String output() { return pattern(Role.OUTPUT); }
    public String finalNorm() { return pattern(Role.FINAL_NORM); }
    public String attentionNorm() { return pattern(Role.ATTN_NORM); }
    public String wq() { return pattern(Role.WQ); }
    public String wk() { return pattern(Role.WK); }
    public String wv() { return pattern(Role.WV); }
    public String wo() { return pattern(Role.WO); }
    public String ffnNorm() { return pattern(Role.FFN_NORM); }
    public String ffnGate() { return pattern(Role.GATE); }
    public String ffnDown() { return pattern(Role.DOWN); }
    public String ffnUp() { return pattern(Role.UP); }
    public String bq() { return pattern(Role.BQ); }
    public String bk() { return pattern(Role.BK); }
    public String bv() { return pattern(Role.BV); }

    /** The name of layer {@code layer}'s tensor (plain replace: String.format is slow on a cold JVM). */
    public static String layer(String pattern, int layer) { return pattern.replace("%d", Integer.toString(layer)); }
}
