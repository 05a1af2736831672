package dev.hyperattention4j.llm.format.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightNames;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json fields of issue 28: RoPE scaling types and their keys, partial rotary dims, sliding windows, the phi
 * and ChatGLM configs; every value the runtime cannot honour is refused with the field and the value in the message.
 */
class HfConfigCoverageTest {
    @TempDir
    Path dir;

    private static final String LLAMA = """
            "model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
            "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 300, "max_position_embeddings": 256""";

    private ModelConfig read(String body) throws Exception {
        Path f = Files.writeString(dir.resolve("config.json"), "{" + body + "}");
        return HfConfig.read(f, false).config();
    }

    private void refused(String body, String... fragments) {
        assertThatThrownBy(() -> read(body)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContainingAll(fragments);
    }

    @Test
    void scalingTypesAreRead() throws Exception {
        assertThat(read(LLAMA).ropeScaling()).isEqualTo(RopeScaling.NONE);
        assertThat(read(LLAMA + ", \"rope_scaling\": null").ropeScaling()).isEqualTo(RopeScaling.NONE);
        assertThat(read(LLAMA + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4}").ropeScaling())
                .isEqualTo(RopeScaling.linear(4));
        assertThat(read(LLAMA + ", \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2}").ropeScaling())
                .isEqualTo(RopeScaling.dynamic(2, 256));
        assertThat(read(LLAMA + ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, "
                + "\"low_freq_factor\": 1, \"high_freq_factor\": 4, \"original_max_position_embeddings\": 8192}")
                .ropeScaling()).isEqualTo(RopeScaling.llama3(8, 8192, 1, 4));
        RopeScaling yarn = read(LLAMA + ", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4, "
                + "\"original_max_position_embeddings\": 64}").ropeScaling();
        assertThat(yarn).isEqualTo(RopeScaling.yarn(4, 64, 32, 1));
        assertThat(yarn.attentionFactor()).isCloseTo(1 + 0.1 * Math.log(4), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(read(LLAMA + ", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4, \"attention_factor\": 1.5}")
                .ropeScaling().attentionFactor()).isEqualTo(1.5);
        // transformers 5 keeps theta and scaling together
        ModelConfig v5 = read(LLAMA + ", \"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2, "
                + "\"rope_theta\": 500000}");
        assertThat(v5.ropeScaling()).isEqualTo(RopeScaling.linear(2));
        assertThat(v5.ropeTheta()).isEqualTo(500000f);
    }

    @Test
    void unsupportedScalingIsRefusedNamingFieldAndValue() {
        refused(LLAMA + ", \"rope_scaling\": {\"type\": \"longrope\", \"factor\": 4}", "rope_scaling.type",
                "'longrope'");
        refused(LLAMA + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4, \"short_factor\": [1]}",
                "rope_scaling.short_factor", "[1]");
        refused(LLAMA + ", \"rope_scaling\": {\"type\": \"linear\"}", "rope_scaling.factor", "missing");
        refused(LLAMA + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 0.5}", "rope_scaling", "factor",
                "0.5");
        refused(LLAMA + ", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4, \"truncate\": false}",
                "rope_scaling.truncate");
        refused(LLAMA + ", \"rope_scaling\": {\"type\": \"llama3\", \"factor\": 8}", "original_max_position_embeddings");
        refused(LLAMA + ", \"rope_scaling\": 4", "rope_scaling", "object");
    }

    @Test
    void partialRotaryAndWindows() throws Exception {
        assertThat(read(LLAMA).rotaryDims()).isEqualTo(16);
        assertThat(read(LLAMA + ", \"partial_rotary_factor\": 0.5").rotaryDims()).isEqualTo(8);
        refused(LLAMA + ", \"partial_rotary_factor\": 0.01", "partial_rotary_factor", "0.01");
        String mistral = LLAMA.replace("\"llama\"", "\"mistral\"");
        assertThat(read(mistral + ", \"sliding_window\": 128").slidingWindow()).isEqualTo(128);
        assertThat(read(mistral + ", \"sliding_window\": null").slidingWindow()).isZero();
        String qwen = LLAMA.replace("\"llama\"", "\"qwen2\"");
        assertThat(read(qwen + ", \"sliding_window\": 128, \"use_sliding_window\": false").slidingWindow()).isZero();
        assertThat(read(qwen + ", \"sliding_window\": 128, \"use_sliding_window\": true, \"max_window_layers\": 0")
                .slidingWindow()).isEqualTo(128);
        assertThat(read(qwen + ", \"sliding_window\": 128, \"use_sliding_window\": true, \"max_window_layers\": 2")
                .slidingWindow()).isZero();
        refused(qwen + ", \"sliding_window\": 128, \"use_sliding_window\": true, \"max_window_layers\": 1",
                "max_window_layers", "1");
        refused(LLAMA + ", \"sliding_window\": 128", "sliding_window", "128");
        refused(LLAMA + ", \"mlp_bias\": true", "mlp_bias", "true");
    }

    @Test
    void phiConfig() throws Exception {
        Path f = Files.writeString(dir.resolve("config.json"), """
                {"model_type": "phi", "hidden_size": 160, "num_attention_heads": 2, "intermediate_size": 640,
                 "num_hidden_layers": 2, "vocab_size": 500, "max_position_embeddings": 2048, "layer_norm_eps": 1e-5,
                 "partial_rotary_factor": 0.4, "hidden_act": "gelu_new", "num_key_value_heads": null,
                 "qk_layernorm": false, "tie_word_embeddings": false, "rope_theta": 10000.0}""");
        HfConfig.Parsed p = HfConfig.read(f, false);
        ModelConfig c = p.config();
        assertThat(c.block()).isEqualTo(BlockLayout.PHI);
        assertThat(c.rotaryDims()).isEqualTo(32);
        assertThat(c.kvHeads()).isEqualTo(2);
        assertThat(c.ropeStyle()).isEqualTo(RopeStyle.ROTATE_HALF);
        assertThat(p.names()).isSameAs(WeightNames.HUGGING_FACE_PHI);
        refused("\"model_type\": \"phi\", \"hidden_size\": 64, \"num_attention_heads\": 2, \"intermediate_size\": 8,"
                + "\"num_hidden_layers\": 1, \"vocab_size\": 10, \"hidden_act\": \"gelu\"", "hidden_act", "'gelu'");
        refused("\"model_type\": \"phi\", \"hidden_size\": 64, \"num_attention_heads\": 2, \"intermediate_size\": 8,"
                + "\"num_hidden_layers\": 1, \"vocab_size\": 10, \"qk_layernorm\": true", "qk_layernorm");
    }

    private static final String GLM = """
            "model_type": "chatglm", "hidden_size": 64, "num_attention_heads": 4, "kv_channels": 16,
            "multi_query_attention": true, "multi_query_group_num": 2, "ffn_hidden_size": 96, "num_layers": 2,
            "padded_vocab_size": 300, "seq_length": 512, "layernorm_epsilon": 1e-5, "rmsnorm": true,
            "add_qkv_bias": true, "add_bias_linear": false, "post_layer_norm": true,
            "apply_residual_connection_post_layernorm": false, "eos_token_id": 2, "pad_token_id": 0""";

    @Test
    void chatglmConfig() throws Exception {
        ModelConfig c = read(GLM);
        assertThat(new int[] {c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.hiddenDim(), c.layers(), c.vocabSize(),
                c.contextLength(), c.rotaryDims(), c.eosId()}).containsExactly(64, 4, 2, 16, 96, 2, 300, 512, 8, 2);
        assertThat(c.ropeStyle()).isEqualTo(RopeStyle.INTERLEAVED);
        assertThat(c.attentionBias()).isTrue();
        refused(GLM + ", \"rope_ratio\": 16", "rope_ratio", "16");
        refused(GLM.replace("\"rmsnorm\": true", "\"rmsnorm\": false"), "rmsnorm", "false");
        refused(GLM.replace("\"add_bias_linear\": false", "\"add_bias_linear\": true"), "add_bias_linear");
        refused(GLM.replace("\"post_layer_norm\": true", "\"post_layer_norm\": false"), "post_layer_norm");
        refused(GLM.replace("\"apply_residual_connection_post_layernorm\": false",
                "\"apply_residual_connection_post_layernorm\": true"), "apply_residual_connection_post_layernorm");
    }
}
