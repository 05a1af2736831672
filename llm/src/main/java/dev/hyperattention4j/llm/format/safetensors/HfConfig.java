package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Hugging Face {@code config.json} of the Llama family (model_type llama, mistral, qwen2; SmolLM is
 * llama) into a {@link ModelConfig}, with transformers' defaults for omitted fields. Qwen2 always has q/k/v biases.
 */
public final class HfConfig {
    private static final Set<String> SUPPORTED = Set.of("llama", "mistral", "qwen2");
    private static final ObjectMapper JSON = Json.MAPPER;

    private HfConfig() {}

    /** The parsed config plus every top-level field (for inspect). */
    public record Parsed(ModelConfig config, Map<String, Object> fields) {}

    /**
     * @param tiedHint whether the checkpoint lacks a separate output head (then embeddings are tied whatever the
     *                 config says)
     */
    public static Parsed read(Path file, boolean tiedHint) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SafetensorsFormatException(file, "config.json", "is missing (needed next to the weights)", -1);
        }
        if (Files.size(file) > 16 << 20) {
            throw new SafetensorsFormatException(file, "config.json", "is implausibly large", -1);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new SafetensorsFormatException(file, "config.json", "is not valid JSON: " + e.getMessage(), -1);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(file, "config.json", "is not a JSON object", -1);
        }
        String type = root.path("model_type").asText("llama");
        if (!SUPPORTED.contains(type)) {
            throw new SafetensorsFormatException(file, "model_type", "'" + type + "' is not supported (supported: "
                    + SUPPORTED + ")", -1);
        }
        int dim = integer(file, root, "hidden_size", null);
        int heads = integer(file, root, "num_attention_heads", null);
        int kvHeads = integer(file, root, "num_key_value_heads", heads);
        if (heads <= 0 || dim % heads != 0 && !root.hasNonNull("head_dim")) {
            throw new SafetensorsFormatException(file, "num_attention_heads", "hidden_size " + dim
                    + " is not a multiple of num_attention_heads " + heads, -1);
        }
        int headDim = integer(file, root, "head_dim", dim / heads);
        int hidden = integer(file, root, "intermediate_size", null);
        int layers = integer(file, root, "num_hidden_layers", null);
        int vocab = integer(file, root, "vocab_size", null);
        int context = integer(file, root, "max_position_embeddings", 2048);
        float eps = (float) number(file, root, "rms_norm_eps", 1e-6);
        float theta = (float) number(file, root, "rope_theta", 10000.0);
        boolean tied = root.path("tie_word_embeddings").asBoolean(false) || tiedHint;
        boolean bias = type.equals("qwen2") || root.path("attention_bias").asBoolean(false);
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new SafetensorsFormatException(file, "hidden_act", "'" + act + "' is not supported (silu only)", -1);
        }
        int bos = firstId(root.get("bos_token_id"));
        int eos = firstId(root.get("eos_token_id"));
        Map<String, Object> fields = new LinkedHashMap<>();
        root.properties().forEach(e -> fields.put(e.getKey(), e.getValue().isValueNode()
                ? e.getValue().asText() : e.getValue().toString()));
        try {
            return new Parsed(new ModelConfig("safetensors", type, dim, hidden, layers, heads, kvHeads, headDim,
                    vocab, context, eps, theta, RopeStyle.ROTATE_HALF, tied, bias, bos, eos), fields);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(file, "config.json", e.getMessage(), -1);
        }
    }

    private static int firstId(JsonNode node) {
        if (node == null || node.isNull()) {
            return -1;
        }
        JsonNode n = node.isArray() ? node.path(0) : node;
        return n.isIntegralNumber() && n.canConvertToInt() ? n.asInt() : -1;
    }

    private static int integer(Path file, JsonNode root, String key, Integer fallback)
            throws SafetensorsFormatException {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new SafetensorsFormatException(file, key, "is missing", -1);
            }
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) {
            throw new SafetensorsFormatException(file, key, "must be a positive integer, got " + n, -1);
        }
        return n.asInt();
    }

    private static double number(Path file, JsonNode root, String key, double fallback)
            throws SafetensorsFormatException {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
            throw new SafetensorsFormatException(file, key, "must be a positive number, got " + n, -1);
        }
        return n.asDouble();
    }
}
