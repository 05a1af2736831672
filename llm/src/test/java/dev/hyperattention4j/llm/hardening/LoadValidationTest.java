package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.llm.runtime.SamplingParams;
import dev.hyperattention4j.llm.testing.GgufWriter;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that parse but are inconsistent are refused at load naming the file and the field, instead of loading and
 * printing numbers (issue #25 class 3): overlapping tensors, a layer count below the tensors present, norm epsilons
 * and RoPE bases out of range, special-token ids outside the vocabulary; every EOS id of a list stops generation; a
 * shard index entry that is not a file and control characters in names are reported readably.
 */
class LoadValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path hf(Path dir, Consumer<ObjectNode> config) throws Exception {
        Path d = TinyModels.safetensors(dir.resolve("hf"), "llama", DType.F32, false, 1);
        ObjectNode c = TinyModels.config("llama", false);
        config.accept(c);
        JSON.writeValue(d.resolve("config.json").toFile(), c);
        return d;
    }

    private static void assertRefused(Path model, String message) {
        assertThatThrownBy(() -> ModelLoader.open(model, null).close()).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(message);
    }

    @Test
    void normEpsilonsAndRopeBasesOutOfRangeAreRefusedNamingTheField(@TempDir Path dir) throws Exception {
        assertRefused(hf(dir, c -> c.put("rms_norm_eps", 1e300)),
                "config.json: rms_norm_eps: must be a norm epsilon in (0, 1), got 1.0E300");
        assertRefused(hf(dir, c -> c.put("rms_norm_eps", 1.0)), "rms_norm_eps: must be a norm epsilon in (0, 1)");
        assertRefused(hf(dir, c -> c.put("rope_theta", 1e39)),
                "config.json: rope_theta: must be a RoPE base in [1, 1.0E10], got 1.0E39");
        assertRefused(hf(dir, c -> c.put("rope_theta", 0.5)), "rope_theta: must be a RoPE base in [1, 1.0E10]");
        Path gguf = TinyModels.gguf(DType.F32, 3).putFloat32("llama.attention.layer_norm_rms_epsilon",
                Float.POSITIVE_INFINITY).write(dir.resolve("eps.gguf"));
        assertRefused(gguf, "llama.attention.layer_norm_rms_epsilon: must be a norm epsilon in (0, 1), got Infinity");
        Path theta = TinyModels.gguf(DType.F32, 3).putFloat32("llama.rope.freq_base", Float.POSITIVE_INFINITY)
                .write(dir.resolve("theta.gguf"));
        assertRefused(theta, "llama.rope.freq_base: must be a RoPE base in [1, 1.0E10], got Infinity");
    }

    @Test
    void aLayerCountBelowTheLayersPresentIsRefused(@TempDir Path dir) throws Exception {
        assertRefused(hf(dir, c -> c.put("num_hidden_layers", 1)),
                "model.layers.1.input_layernorm.weight: belongs to layer 1 but the model declares 1 layers (the "
                        + "layer count is wrong)");
        Path gguf = TinyModels.gguf(DType.F32, 3).putUInt32("llama.block_count", 1).write(dir.resolve("m.gguf"));
        assertRefused(gguf, ": belongs to layer 1 but the model declares 1 layers");
        // and a larger one fails as before: the tensors of the missing layer are required
        assertRefused(hf(dir, c -> c.put("num_hidden_layers", 3)), "model.layers.2.");
    }

    @Test
    void overlappingTensorsAreRefusedInBothFormats(@TempDir Path dir) throws Exception {
        Path d = TinyModels.safetensors(dir.resolve("st"), "llama", DType.F32, false, 1);
        Path file = d.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, (int) headerLength,
                StandardCharsets.UTF_8));
        // the final norm (dim floats) re-pointed at the first bytes of the embedding
        ArrayNode offsets = (ArrayNode) header.path("model.norm.weight").path("data_offsets");
        long length = offsets.get(1).asLong() - offsets.get(0).asLong();
        long embedding = header.path("model.embed_tokens.weight").path("data_offsets").get(0).asLong();
        offsets.removeAll().add(embedding).add(embedding + length);
        byte[] h = JSON.writeValueAsBytes(header);
        byte[] padded = new byte[(int) headerLength];
        java.util.Arrays.fill(padded, (byte) ' ');
        assertThat(h.length).isLessThanOrEqualTo(padded.length);
        System.arraycopy(h, 0, padded, 0, h.length);
        System.arraycopy(padded, 0, bytes, 8, padded.length);
        Files.write(file, bytes);
        assertRefused(d, "overlaps the data of ");
        assertRefused(d, "tensors must not share bytes");

        ByteBuffer info = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        byte[] name = "dup.weight".getBytes(StandardCharsets.UTF_8);
        info.putLong(name.length).put(name).putInt(1).putLong(8).putInt(0).putLong(0); // 8 F32 at offset 0
        GgufWriter w = TinyModels.gguf(DType.F32, 3).rawTensorInfo(java.util.Arrays.copyOf(info.array(),
                info.position()));
        Path gguf = w.write(dir.resolve("overlap.gguf"));
        assertRefused(gguf, "overlaps the data");
    }

    @Test
    void specialTokenIdsOutsideTheVocabularyAreRefused(@TempDir Path dir) throws Exception {
        assertRefused(hf(dir, c -> c.put("eos_token_id", 999_999)),
                "config.json: eos_token_id: token id 999999 is outside the vocabulary of 262 (vocab_size)");
        assertRefused(hf(dir, c -> c.putArray("eos_token_id").add(2).add(262)),
                "eos_token_id[1]: token id 262 is outside the vocabulary of 262");
        assertRefused(hf(dir, c -> c.put("bos_token_id", -5)), "bos_token_id: must be a token id");
        Path gguf = TinyModels.gguf(DType.F32, 3).putUInt32("tokenizer.ggml.eot_token_id", 5000)
                .write(dir.resolve("eot.gguf"));
        assertRefused(gguf, "tokenizer.ggml.eot_token_id");
    }

    @Test
    void everyEndOfSequenceIdOfAListStopsGeneration(@TempDir Path dir) throws Exception {
        int first;
        try (Model m = ModelLoader.open(hf(dir.resolve("a"), c -> { }), null); WorkerPool pool = new WorkerPool(1)) {
            Generator.Result r = generate(m, pool);
            assertThat(r.stopReason()).isEqualTo("token limit");
            first = r.newTokens()[0];
        }
        assertThat(first).isNotIn(2);
        // the token greedy decoding produces first, listed as a second EOS id: generation stops before it
        try (Model m = ModelLoader.open(hf(dir.resolve("b"), c -> c.putArray("eos_token_id").add(2).add(first)),
                null); WorkerPool pool = new WorkerPool(1)) {
            assertThat(m.tokenizer().stopIds()).containsExactly(2, first);
            Generator.Result r = generate(m, pool);
            assertThat(r.stopReason()).isEqualTo("end of sequence");
            assertThat(r.newTokens()).isEmpty();
        }
    }

    private static Generator.Result generate(Model m, WorkerPool pool) {
        LlamaSession s = LlamaModel.of(m).newSession(32, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
        return Generator.generate(s, m.tokenizer(), m.tokenizer().encode("a a", true), 4,
                new Sampler(SamplingParams.greedy()), java.util.List.of(), null);
    }

    @Test
    void aShardIndexEntryThatIsNotAFileIsNamed(@TempDir Path dir) throws Exception {
        Path d = TinyModels.safetensors(dir.resolve("sh"), "llama", DType.F32, false, 2);
        Path index = d.resolve("model.safetensors.index.json");
        ObjectNode root = (ObjectNode) JSON.readTree(index.toFile());
        ((ObjectNode) root.path("weight_map")).put("model.norm.weight", "/");
        JSON.writeValue(index.toFile(), root);
        assertRefused(index, "weight_map.model.norm.weight: shard name '/' is not a file in the model directory");
    }

    @Test
    void controlCharactersFromTheFileArePrintedEscaped(@TempDir Path dir) throws Exception {
        Path gguf = TinyModels.gguf(DType.F32, 3).putString("llama.\u001b[2Jevil\nkey", "x")
                .write(dir.resolve("ctl.gguf"));
        assertThatThrownBy(() -> ModelLoader.open(gguf, null).close()).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("llama.\\u001B[2Jevil\\nkey: is not supported")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b", "\n"));
    }
}
