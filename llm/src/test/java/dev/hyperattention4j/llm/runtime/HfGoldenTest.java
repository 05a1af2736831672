package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightNames.Role;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.testing.Goldens;
import dev.hyperattention4j.llm.testing.SafetensorsWriter;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Hugging Face path of every architecture and RoPE scaling against the same goldens: each F32 golden GGUF is
 * rewritten as a safetensors checkpoint with the Hugging Face tensor names and layouts (Llama Q/K rows un-permuted
 * back to rotate-half order, ChatGLM's fused tensors kept fused) and a config.json in that model type's own fields
 * (phi's partial_rotary_factor, ChatGLM's kv_channels and multi_query_group_num, rope_scaling for the RoPE cases, in
 * place of the rope_freqs tensor for llama3). Its logits must match the reference runtime's like the GGUF file's.
 */
class HfGoldenTest {
    static final WorkerPool pool = TestPools.twoThreads();

    @ParameterizedTest(name = "{0} as safetensors")
    @CsvSource(delimiter = '|', value = {
            "qwen2|1e-4|",
            "phi2|3e-3|",
            "chatglm|1e-4|",
            "rope-linear|1e-4|{\"type\": \"linear\", \"factor\": 4}",
            "rope-yarn|1e-4|{\"type\": \"yarn\", \"factor\": 4, \"original_max_position_embeddings\": 256}",
            "rope-llama3|1e-4|{\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 1, "
                    + "\"high_freq_factor\": 4, \"original_max_position_embeddings\": 256}"})
    void safetensorsMatchesReferenceRuntime(String folder, double maxAbs, String ropeScaling, @TempDir Path dir)
            throws Exception {
        Goldens g = Goldens.folder(folder);
        dev.hyperattention4j.llm.testing.Npy.Matrix expected = g.logits("F32");
        int[] tokens = g.tokens().ids();
        int prompt = g.greedy("F32").promptTokens();
        String modelType;
        try (Model gguf = ModelLoader.open(g.model("F32"))) {
            ModelConfig c = gguf.config();
            modelType = switch (c.architecture()) {
                case "phi2" -> "phi";
                default -> c.architecture();
            };
            WeightNames hf = switch (modelType) {
                case "phi" -> WeightNames.HUGGING_FACE_PHI;
                case "chatglm" -> WeightNames.HUGGING_FACE_CHATGLM;
                default -> WeightNames.HUGGING_FACE;
            };
            writeTensors(gguf, hf, modelType, dir.resolve("model.safetensors"));
            ObjectNode config = config(c, modelType);
            if (ropeScaling != null && !ropeScaling.isBlank()) {
                config.set("rope_scaling", Json.MAPPER.readTree(ropeScaling));
            }
            Files.writeString(dir.resolve("config.json"), config.toString());
            if (modelType.equals("chatglm")) {
                writeChatglmTokenizer(gguf, dir.resolve("tokenizer.model"));
            } else {
                Files.writeString(dir.resolve("tokenizer.json"), TinyModels.tokenizerJson().toString());
            }
        }
        try (Model m = ModelLoader.open(dir)) {
            assertThat(m.config().format()).isEqualTo("safetensors");
            assertThat(m.config().architecture()).isEqualTo(modelType);
            int vocab = m.config().vocabSize();
            if (modelType.equals("chatglm")) { // the SentencePiece tokenizer.model reproduces the reference's ids
                assertThat(m.tokenizer().kind()).isEqualTo("sentencepiece-chatglm");
                assertThat(m.tokenizer().encode(g.text(), true)).containsExactly(tokens);
            }
            LlamaSession s = LlamaModel.of(m).newSession(prompt, AttentionPlan.exact(new FlashAttention(pool)), pool);
            float[] logits = new float[prompt * s.logitStride()];
            s.forward(tokens, 0, prompt, logits, 0);
            int[] rows = ArchitectureGoldenTest.storedRows(folder, "F32", expected.rows());
            double max = 0;
            for (int r = 0; r < rows.length; r++) {
                for (int v = 0; v < vocab; v++) {
                    max = Math.max(max, Math.abs(logits[rows[r] * s.logitStride() + v] - expected.at(r, v)));
                }
            }
            System.out.printf("golden %s as safetensors: logits max abs %.3g%n", folder, max);
            assertThat(max).as("max abs logit difference").isLessThanOrEqualTo(maxAbs);
        }
    }

    /** Every tensor under its Hugging Face name; Llama's Q/K rows back in rotate-half order. */
    private static void writeTensors(Model gguf, WeightNames hf, String modelType, Path file) throws Exception {
        ModelConfig c = gguf.config();
        Map<String, Object[]> byName = new HashMap<>();
        for (Role role : Role.values()) {
            for (int l = 0; l < (role.perLayer() ? c.layers() : 1); l++) {
                byName.put(WeightNames.GGUF.name(role, l), new Object[] {role, l});
            }
        }
        SafetensorsWriter w = new SafetensorsWriter();
        for (WeightTensor t : gguf.tensors()) {
            if (t.name().equals("rope_freqs.weight")) {
                continue; // expressed by rope_scaling in config.json
            }
            Object[] roleLayer = byName.get(t.name());
            assertThat(roleLayer).as("role of " + t.name()).isNotNull();
            Role role = (Role) roleLayer[0];
            int layer = (int) roleLayer[1];
            if (modelType.equals("chatglm") && role == Role.UP) {
                role = Role.GATE_UP; // GGUF keeps ChatGLM's fused gate/up matrix under ffn_up
            }
            String name = hf.name(role, layer);
            assertThat(name).as("Hugging Face name of " + t.name()).isNotNull();
            float[] v = Dequant.all(t);
            if (modelType.equals("llama") && (role == Role.WQ || role == Role.WK)) {
                v = unpermute(v, t.rows() / c.headDim(), c.headDim(), t.cols());
            }
            w.add(name, DType.F32, t.shape(), v);
        }
        w.write(file);
    }

    /**
     * ChatGLM's SentencePiece model as its checkpoints ship it: the GGUF vocabulary without the nine GLM specials
     * that the tokenizer code appends (and the GGUF converter copied), BPE, byte fallback, dummy prefix.
     */
    private static void writeChatglmTokenizer(Model gguf, Path file) throws Exception {
        dev.hyperattention4j.llm.tokenizer.BpeTokenizer t = (dev.hyperattention4j.llm.tokenizer.BpeTokenizer)
                gguf.tokenizer();
        int n = t.vocabSize() - dev.hyperattention4j.llm.tokenizer.SentencePieceModel.CHATGLM_SPECIALS.size();
        java.util.List<String> pieces = new java.util.ArrayList<>();
        int[] types = new int[n];
        float[] scores = java.util.Arrays.copyOf(t.scores(), n);
        for (int i = 0; i < n; i++) {
            pieces.add(t.piece(i));
            types[i] = t.type(i).code();
        }
        assertThat(t.piece(n)).isEqualTo("[MASK]");
        dev.hyperattention4j.llm.testing.SentencePieceWriter.write(file, pieces, scores, types, 2, true, true);
    }

    /** GGUF row h·hd + 2j + s holds Hugging Face row h·hd + s·hd/2 + j (llama.cpp's converter permutation). */
    private static float[] unpermute(float[] v, int heads, int hd, int cols) {
        float[] out = new float[v.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < hd / 2; j++) {
                for (int s = 0; s < 2; s++) {
                    System.arraycopy(v, (h * hd + 2 * j + s) * cols, out, (h * hd + s * hd / 2 + j) * cols, cols);
                }
            }
        }
        return out;
    }

    private static ObjectNode config(ModelConfig c, String modelType) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("model_type", modelType).put("hidden_size", c.dim()).put("num_attention_heads", c.heads())
                .put("tie_word_embeddings", c.tiedEmbeddings()).put("bos_token_id", 1).put("eos_token_id", 2);
        switch (modelType) {
            case "chatglm" -> n.put("kv_channels", c.headDim()).put("multi_query_attention", true)
                    .put("multi_query_group_num", c.kvHeads()).put("ffn_hidden_size", c.hiddenDim())
                    .put("num_layers", c.layers()).put("padded_vocab_size", c.vocabSize())
                    .put("seq_length", c.contextLength()).put("layernorm_epsilon", c.normEps()).put("rmsnorm", true)
                    .put("add_qkv_bias", c.attentionBias()).put("add_bias_linear", false)
                    .put("post_layer_norm", true).put("apply_residual_connection_post_layernorm", false);
            case "phi" -> n.put("num_key_value_heads", c.kvHeads()).put("intermediate_size", c.hiddenDim())
                    .put("num_hidden_layers", c.layers()).put("vocab_size", c.vocabSize())
                    .put("max_position_embeddings", c.contextLength()).put("layer_norm_eps", c.normEps())
                    .put("rope_theta", c.ropeTheta()).put("hidden_act", "gelu_new")
                    .put("partial_rotary_factor", (double) c.rotaryDims() / c.headDim());
            default -> n.put("num_key_value_heads", c.kvHeads()).put("intermediate_size", c.hiddenDim())
                    .put("num_hidden_layers", c.layers()).put("vocab_size", c.vocabSize())
                    .put("max_position_embeddings", c.contextLength()).put("rms_norm_eps", c.normEps())
                    .put("rope_theta", c.ropeTheta()).put("hidden_act", "silu");
        }
        return n;
    }
}
