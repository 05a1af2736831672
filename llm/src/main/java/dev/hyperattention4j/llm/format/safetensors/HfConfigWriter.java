package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;

/**
 * The inverse of {@link HfConfig} for the Llama family: the {@code config.json} of a {@code LlamaForCausalLM}
 * (or Qwen2/Mistral when the model says so) that transformers and this runtime read back into the same
 * {@link ModelConfig}. A configuration that has no Hugging Face spelling (interleaved RoPE pairs, frequency-divisor
 * scaling, other block layouts) is refused.
 */
public final class HfConfigWriter {
    private HfConfigWriter() {
    }

    /** @param dtype the {@code torch_dtype} of the weights ("float32" or "bfloat16") */
    public static ObjectNode toJson(ModelConfig c, String dtype) {
        if (!c.block().equals(BlockLayout.LLAMA)) {
            throw new IllegalArgumentException("config.json: only the Llama block can be written, not "
                    + c.block().describe());
        }
        if (c.ropeStyle() != RopeStyle.ROTATE_HALF) {
            throw new IllegalArgumentException("config.json: Hugging Face Llama models rotate halves; a model with "
                    + "interleaved RoPE pairs needs its q/k rows permuted first");
        }
        String type = switch (c.architecture()) {
            case "qwen2", "mistral" -> c.architecture();
            default -> "llama";
        };
        ObjectNode n = Json.MAPPER.createObjectNode();
        String arch = switch (type) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        };
        n.putArray("architectures").add(arch);
        n.put("model_type", type);
        n.put("hidden_size", c.dim());
        n.put("intermediate_size", c.hiddenDim());
        n.put("num_hidden_layers", c.layers());
        n.put("num_attention_heads", c.heads());
        n.put("num_key_value_heads", c.kvHeads());
        n.put("head_dim", c.headDim());
        n.put("vocab_size", c.vocabSize());
        n.put("max_position_embeddings", c.contextLength());
        n.put("rms_norm_eps", (double) c.normEps());
        n.put("rope_theta", (double) c.ropeTheta());
        n.put("hidden_act", "silu");
        n.put("tie_word_embeddings", c.tiedEmbeddings());
        if (type.equals("qwen2") != c.attentionBias()) {
            n.put("attention_bias", c.attentionBias());
        }
        n.put("mlp_bias", false);
        if (c.rotaryDims() != c.headDim()) {
            n.put("partial_rotary_factor", (double) c.rotaryDims() / c.headDim());
        }
        RopeScaling s = c.ropeScaling();
        switch (s.type()) {
            case NONE -> n.putNull("rope_scaling");
            case LINEAR -> n.putObject("rope_scaling").put("rope_type", "linear").put("factor", s.factor());
            case DYNAMIC -> {
                if (s.originalContext() != c.contextLength()) {
                    throw new IllegalArgumentException("config.json: dynamic RoPE scaling takes its original context "
                            + "from max_position_embeddings (" + c.contextLength() + "), not " + s.originalContext());
                }
                n.putObject("rope_scaling").put("rope_type", "dynamic").put("factor", s.factor());
            }
            case YARN -> n.putObject("rope_scaling").put("rope_type", "yarn").put("factor", s.factor())
                    .put("original_max_position_embeddings", s.originalContext()).put("beta_fast", s.betaFast())
                    .put("beta_slow", s.betaSlow()).put("attention_factor", s.attentionFactor());
            case LLAMA3 -> n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", s.factor())
                    .put("original_max_position_embeddings", s.originalContext())
                    .put("low_freq_factor", s.lowFreqFactor()).put("high_freq_factor", s.highFreqFactor());
            case DIVISORS -> throw new IllegalArgumentException("config.json: RoPE frequency divisors (GGUF "
                    + "rope_freqs) have no Hugging Face spelling");
        }
        if (c.slidingWindow() > 0) {
            n.put("sliding_window", c.slidingWindow());
        }
        if (c.bosId() >= 0) {
            n.put("bos_token_id", c.bosId());
        }
        if (c.eosId() >= 0) {
            n.put("eos_token_id", c.eosId());
        }
        n.put("torch_dtype", dtype);
        return n;
    }
}
