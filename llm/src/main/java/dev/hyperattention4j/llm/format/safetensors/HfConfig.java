package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}, with transformers' defaults for omitted
 * fields: model_type llama, mistral, qwen2 (SmolLM is llama), phi (phi-1.5, phi-2) and chatglm (ChatGLM2/3, whose
 * config comes with its own modelling code and field names). RoPE scaling ({@code rope_scaling} or transformers 5's
 * {@code rope_parameters}), partial rotary dimensions and sliding windows are read; a value this runtime cannot honour
 * (another scaling type or key, a window on some layers only, a ChatGLM variant flag) is refused naming the field and
 * its value, never ignored.
 */
public final class HfConfig {
    private static final Set<String> SUPPORTED = Set.of("llama", "mistral", "qwen2", "phi", "chatglm");

    private HfConfig() {}

    /** The parsed config, how the checkpoint names its tensors, and every top-level field (for inspect). */
    /**
     * @param eosIds every end-of-sequence id of {@code eos_token_id} (Llama 3.1 lists three; generation stops at
     *               any of them), empty when the field is absent
     */
    public record Parsed(ModelConfig config, WeightNames names, Map<String, Object> fields, int[] eosIds) {}

    /**
     * @param tiedHint whether the checkpoint lacks a separate output head (then embeddings are tied whatever the
     *                 config says)
     */
    public static Parsed read(Path file, boolean tiedHint) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new SafetensorsFormatException(file, "config.json", "is missing (needed next to the weights)", -1);
        }
        JsonNode root = JsonFile.read(file, "config.json", 16 << 20);
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(file, "config.json", "is not a JSON object", -1);
        }
        String type = root.path("model_type").asText("llama");
        if (!SUPPORTED.contains(type)) {
            throw new SafetensorsFormatException(file, "model_type", "'" + type + "' is not supported (supported: "
                    + SUPPORTED + ")", -1);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        root.properties().forEach(e -> fields.put(e.getKey(), e.getValue().isValueNode()
                ? e.getValue().asText() : e.getValue().toString()));
        Reader r = new Reader(file, root);
        JsonNode vocabField = root.has("padded_vocab_size") ? root.get("padded_vocab_size") : root.get("vocab_size");
        int vocab = vocabField != null && vocabField.canConvertToInt() ? vocabField.asInt() : 0;
        specialIds(r, "bos_token_id", vocab);
        int[] eosIds = specialIds(r, "eos_token_id", vocab);
        ModelConfig config;
        WeightNames names;
        try {
            switch (type) {
                case "phi" -> {
                    config = phi(r, tiedHint);
                    names = WeightNames.HUGGING_FACE_PHI;
                }
                case "chatglm" -> {
                    config = chatglm(r, tiedHint);
                    names = WeightNames.HUGGING_FACE_CHATGLM;
                }
                default -> {
                    config = llamaFamily(r, type, tiedHint);
                    names = WeightNames.HUGGING_FACE;
                }
            }
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(file, "config.json", e.getMessage(), -1);
        }
        return new Parsed(config, names, fields, eosIds);
    }

    /**
     * A special-token id or list of them ({@code eos_token_id: [128001, 128008, 128009]}), each inside the
     * vocabulary: an id outside it would be a token the model can never produce (generation would not stop) or a row
     * that does not exist.
     */
    private static int[] specialIds(Reader r, String key, int vocab) throws SafetensorsFormatException {
        JsonNode node = r.root().get(key);
        if (node == null || node.isNull()) {
            return new int[0];
        }
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        int[] ids = new int[items.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode n = items.get(i);
            String field = node.isArray() ? key + "[" + i + "]" : key;
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
                throw r.error(field, "must be a token id (a non-negative integer) or a list of them, got " + n);
            }
            if (vocab > 0 && n.asInt() >= vocab) {
                throw r.error(field, "token id " + n.asInt() + " is outside the vocabulary of " + vocab
                        + " (vocab_size)");
            }
            ids[i] = n.asInt();
        }
        return ids;
    }

    private static ModelConfig llamaFamily(Reader r, String type, boolean tiedHint) throws SafetensorsFormatException {
        Shape shape = Shape.read(r, 1.0);
        String act = r.root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw r.error("hidden_act", "'" + act + "' is not supported (silu only)");
        }
        r.requireFalse("mlp_bias", "biases on the MLP projections");
        boolean bias = type.equals("qwen2") || r.root.path("attention_bias").asBoolean(false);
        return shape.config(r, type, "rms_norm_eps", 1e-6, tiedHint, bias, BlockLayout.LLAMA);
    }

    /** phi-1.5 / phi-2 (PhiForCausalLM): LayerNorm, parallel block, GELU (tanh form), partial rotary. */
    private static ModelConfig phi(Reader r, boolean tiedHint) throws SafetensorsFormatException {
        Shape shape = Shape.read(r, 0.5);
        String act = r.root.path("hidden_act").asText("gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu_fast")) {
            throw r.error("hidden_act", "'" + act + "' is not supported (phi: the tanh-form GELU gelu_new)");
        }
        r.requireFalse("qk_layernorm", "LayerNorms on queries and keys");
        return shape.config(r, "phi", "layer_norm_eps", 1e-5, tiedHint, true, BlockLayout.PHI);
    }

    /**
     * The attention shape llama-family and phi configs state with the same keys: hidden size, heads, head dim,
     * trained context and rotary dims (the family's default fraction of a head unless partial_rotary_factor says).
     */
    private record Shape(int dim, int heads, int headDim, int context, int rotary) {
        static Shape read(Reader r, double rotaryFraction) throws SafetensorsFormatException {
            int dim = r.integer("hidden_size", null);
            int heads = r.integer("num_attention_heads", null);
            int headDim = HfConfig.headDim(r, dim, heads);
            int context = r.integer("max_position_embeddings", 2048);
            return new Shape(dim, heads, headDim, context, rotaryDims(r, headDim, rotaryFraction));
        }

        /** The model config of this shape and the keys these families share (phi has no sliding window). */
        ModelConfig config(Reader r, String type, String epsKey, double epsDefault, boolean tiedHint, boolean bias,
                           BlockLayout layout) throws SafetensorsFormatException {
            return new ModelConfig("safetensors", type, dim, r.integer("intermediate_size", null),
                    r.integer("num_hidden_layers", null), heads, r.integer("num_key_value_heads", heads), headDim,
                    r.integer("vocab_size", null), context, (float) eps(r, epsKey, epsDefault), (float) theta(r),
                    RopeStyle.ROTATE_HALF, tied(r, tiedHint), bias, firstId(r.root.get("bos_token_id")),
                    firstId(r.root.get("eos_token_id")), layout, rotary, scaling(r, rotary, context),
                    layout == BlockLayout.PHI ? 0 : slidingWindow(r, type));
        }
    }

    /**
     * ChatGLM2/3 (its own modelling code): RMSNorm, fused QKV with bias, multi-query groups, RoPE on the first half
     * of each head in adjacent pairs, fused gate/up SwiGLU. The flags that select other variants of that code are
     * refused unless they have the value this runtime implements.
     */
    private static ModelConfig chatglm(Reader r, boolean tiedHint) throws SafetensorsFormatException {
        int dim = r.integer("hidden_size", null);
        int heads = r.integer("num_attention_heads", null);
        int headDim = r.integer("kv_channels", dim / heads);
        int kvHeads = r.root.path("multi_query_attention").asBoolean(false)
                ? r.integer("multi_query_group_num", null) : heads;
        int context = r.integer("seq_length", 2048);
        r.requireTrue("rmsnorm", "LayerNorm instead of RMSNorm");
        r.requireFalse("add_bias_linear", "biases on the dense projections");
        r.requireFalse("apply_residual_connection_post_layernorm", "residuals taken after the norm");
        r.requireTrue("post_layer_norm", "no final norm");
        r.requireTrue("original_rope", "a non-original rotary embedding");
        if (r.root.hasNonNull("rope_ratio") && r.number("rope_ratio", 1) != 1) {
            // its meaning differs between releases of the modelling code (position divisor or base multiplier)
            throw r.error("rope_ratio", "value " + r.root.get("rope_ratio") + " is not supported (1 only)");
        }
        if (r.root.hasNonNull("rope_scaling")) {
            throw r.error("rope_scaling", "value " + r.root.get("rope_scaling") + " is not supported for chatglm");
        }
        int rotary = headDim / 2;
        return new ModelConfig("safetensors", "chatglm", dim, r.integer("ffn_hidden_size", null),
                r.integer("num_layers", null), heads, kvHeads, headDim, r.integer("padded_vocab_size", null), context,
                (float) eps(r, "layernorm_epsilon", 1e-5), 10000f, RopeStyle.INTERLEAVED, tied(r, tiedHint),
                r.root.path("add_qkv_bias").asBoolean(false), firstId(r.root.get("bos_token_id")),
                firstId(r.root.get("eos_token_id")), BlockLayout.LLAMA, rotary, RopeScaling.NONE, 0);
    }

    private static int headDim(Reader r, int dim, int heads) throws SafetensorsFormatException {
        if (heads <= 0 || dim % heads != 0 && !r.root.hasNonNull("head_dim")) {
            throw r.error("num_attention_heads", "hidden_size " + dim + " is not a multiple of num_attention_heads "
                    + heads);
        }
        return r.integer("head_dim", dim / heads);
    }

    private static boolean tied(Reader r, boolean tiedHint) {
        return r.root.path("tie_word_embeddings").asBoolean(false) || tiedHint;
    }

    /** rope_theta, or transformers 5's rope_parameters.rope_theta. */
    private static double theta(Reader r) throws SafetensorsFormatException {
        JsonNode params = r.root.get("rope_parameters");
        if (params != null && params.isObject() && params.hasNonNull("rope_theta")) {
            return new Reader(r.file, params).number("rope_theta", 10000.0, HfConfig::ropeBase, ROPE_BASES);
        }
        return r.number("rope_theta", 10000.0, HfConfig::ropeBase, ROPE_BASES);
    }

    private static final String ROPE_BASES = "a RoPE base in [" + (long) ModelConfig.MIN_ROPE_THETA + ", "
            + ModelConfig.MAX_ROPE_THETA + "]";

    private static boolean ropeBase(double v) {
        return v >= ModelConfig.MIN_ROPE_THETA && v <= ModelConfig.MAX_ROPE_THETA;
    }

    /** A norm epsilon, in (0, 1). */
    private static double eps(Reader r, String key, double fallback) throws SafetensorsFormatException {
        return r.number(key, fallback, v -> v > 0 && v < ModelConfig.MAX_NORM_EPS, "a norm epsilon in (0, "
                + (long) ModelConfig.MAX_NORM_EPS + ")");
    }

    /** {@code headDim · partial_rotary_factor}, even and at least 2. */
    private static int rotaryDims(Reader r, int headDim, double defaultFactor) throws SafetensorsFormatException {
        double f = r.number("partial_rotary_factor", defaultFactor);
        int dims = (int) (headDim * f);
        if (!(f <= 1) || dims < 2 || dims % 2 != 0) {
            throw r.error("partial_rotary_factor", "value " + f + " gives " + dims + " rotary dims of a " + headDim
                    + "-dim head (need an even count in [2, head_dim])");
        }
        return dims;
    }

    private static final Set<String> COMMON_SCALING_KEYS = Set.of("type", "rope_type", "rope_theta",
            "partial_rotary_factor");

    /**
     * {@code rope_scaling} (or {@code rope_parameters}): type/rope_type default (none), linear, dynamic, yarn, llama3,
     * each with only the keys it defines. The original context of dynamic scaling is max_position_embeddings, as in
     * transformers.
     */
    static RopeScaling scaling(Reader r, int rotaryDims, int context) throws SafetensorsFormatException {
        String field = r.root.hasNonNull("rope_scaling") ? "rope_scaling" : "rope_parameters";
        JsonNode n = r.root.get(field);
        if (n == null || n.isNull()) {
            return RopeScaling.NONE;
        }
        if (!n.isObject()) {
            throw r.error(field, "must be an object or null, got " + n);
        }
        JsonNode typeNode = n.hasNonNull("rope_type") ? n.get("rope_type") : n.get("type");
        String type = typeNode == null ? "default" : typeNode.asText();
        Reader s = new Reader(r.file, n, field + ".");
        Set<String> allowed = switch (type) {
            case "default" -> Set.of();
            case "linear", "dynamic" -> Set.of("factor");
            case "yarn" -> Set.of("factor", "original_max_position_embeddings", "beta_fast", "beta_slow",
                    "attention_factor", "mscale", "mscale_all_dim", "truncate");
            case "llama3" -> Set.of("factor", "original_max_position_embeddings", "low_freq_factor",
                    "high_freq_factor");
            default -> throw r.error(field + ".type", "'" + type + "' is not supported (default, linear, dynamic, "
                    + "yarn, llama3)");
        };
        for (var it = n.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!COMMON_SCALING_KEYS.contains(key) && !allowed.contains(key) && !n.get(key).isNull()) {
                throw r.error(field + "." + key, "value " + n.get(key) + " is not supported with " + type
                        + " scaling");
            }
        }
        try {
            return switch (type) {
                case "linear" -> RopeScaling.linear(s.number("factor", null));
                case "dynamic" -> RopeScaling.dynamic(s.number("factor", null), context);
                case "yarn" -> {
                    if (n.has("truncate") && !n.get("truncate").asBoolean(true)) {
                        throw r.error(field + ".truncate", "false is not supported (the ramp bounds are rounded)");
                    }
                    double factor = s.number("factor", null);
                    int original = s.integer("original_max_position_embeddings", context);
                    double attention = RopeScaling.defaultYarnAttention(factor);
                    if (n.hasNonNull("attention_factor")) {
                        attention = s.number("attention_factor", null);
                    } else if (n.hasNonNull("mscale") && n.hasNonNull("mscale_all_dim")) {
                        attention = yarnMscale(factor, s.number("mscale", null))
                                / yarnMscale(factor, s.number("mscale_all_dim", null));
                    } else if (n.hasNonNull("mscale") || n.hasNonNull("mscale_all_dim")) {
                        throw r.error(field + ".mscale", "mscale and mscale_all_dim go together; one alone is not "
                                + "supported");
                    }
                    yield RopeScaling.yarn(factor, original, s.number("beta_fast", 32.0), s.number("beta_slow", 1.0),
                            attention);
                }
                case "llama3" -> RopeScaling.llama3(s.number("factor", null),
                        s.integer("original_max_position_embeddings", null), s.number("low_freq_factor", null),
                        s.number("high_freq_factor", null));
                default -> RopeScaling.NONE;
            };
        } catch (IllegalArgumentException e) {
            throw r.error(field, e.getMessage() + " (" + n + ")");
        }
    }

    private static double yarnMscale(double factor, double mscale) {
        return factor <= 1 ? 1 : 0.1 * mscale * Math.log(factor) + 1;
    }

    /**
     * The attention window: Mistral's {@code sliding_window} (null: none); Qwen2's when {@code use_sliding_window}
     * is true and every layer uses it ({@code max_window_layers} 0). Layer-dependent windows are refused.
     */
    private static int slidingWindow(Reader r, String type) throws SafetensorsFormatException {
        JsonNode w = r.root.get("sliding_window");
        if (w == null || w.isNull()) {
            return 0;
        }
        if (type.equals("qwen2") && !r.root.path("use_sliding_window").asBoolean(false)) {
            return 0;
        }
        if (type.equals("llama")) {
            throw r.error("sliding_window", "value " + w + " is not part of the llama architecture");
        }
        int window = r.integer("sliding_window", null);
        if (type.equals("qwen2")) { // layers from max_window_layers on use the window (transformers' default 28)
            int from = r.root.hasNonNull("max_window_layers") ? r.root.get("max_window_layers").asInt(-1) : 28;
            if (from != 0 && from < r.integer("num_hidden_layers", null)) {
                throw r.error("max_window_layers", "value " + from + " (a sliding window in some layers only) is "
                        + "not supported");
            } else if (from != 0) {
                return 0; // the window starts after the last layer: no layer uses it
            }
        }
        JsonNode layerTypes = r.root.get("layer_types");
        if (layerTypes != null && layerTypes.isArray()) {
            for (JsonNode t : layerTypes) {
                if (!t.asText().equals("sliding_attention")) {
                    throw r.error("layer_types", "mixes " + t + " with sliding-window layers, which is not "
                            + "supported");
                }
            }
        }
        return window;
    }

    private static int firstId(JsonNode node) {
        if (node == null || node.isNull()) {
            return -1;
        }
        JsonNode n = node.isArray() ? node.path(0) : node;
        return n.isIntegralNumber() && n.canConvertToInt() ? n.asInt() : -1;
    }

    /** Typed access to one JSON object, errors naming {@code prefix + key}. */
    record Reader(Path file, JsonNode root, String prefix) {
        Reader(Path file, JsonNode root) {
            this(file, root, "");
        }

        SafetensorsFormatException error(String key, String problem) {
            return new SafetensorsFormatException(file, key, problem, -1);
        }

        /** The key's value; null when it is absent (or JSON null) and has a fallback, an error when it has none. */
        private JsonNode value(String key, Object fallback) throws SafetensorsFormatException {
            JsonNode n = root.get(key);
            if (n != null && !n.isNull()) {
                return n;
            }
            if (fallback == null) {
                throw error(prefix + key, "is missing");
            }
            return null;
        }

        int integer(String key, Integer fallback) throws SafetensorsFormatException {
            JsonNode n = value(key, fallback);
            if (n == null) {
                return fallback;
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) {
                throw error(prefix + key, "must be a positive integer, got " + n);
            }
            return n.asInt();
        }

        double number(String key, Double fallback) throws SafetensorsFormatException {
            JsonNode n = value(key, fallback);
            if (n == null) {
                return fallback;
            }
            if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
                throw error(prefix + key, "must be a positive number, got " + n);
            }
            return n.asDouble();
        }

        double number(String key, double fallback) throws SafetensorsFormatException {
            return number(key, Double.valueOf(fallback));
        }

        /** A number the forward pass uses as is (norm epsilon, RoPE base), within the range {@code ok} accepts. */
        double number(String key, double fallback, java.util.function.DoublePredicate ok, String range)
                throws SafetensorsFormatException {
            double v = number(key, fallback);
            if (!ok.test(v)) {
                throw error(prefix + key, "must be " + range + ", got " + v);
            }
            return v;
        }

        void requireFalse(String key, String meaning) throws SafetensorsFormatException {
            JsonNode n = root.get(key);
            if (n != null && !n.isNull() && n.asBoolean(true)) {
                throw error(prefix + key, "value " + n + " (" + meaning + ") is not supported");
            }
        }

        void requireTrue(String key, String meaning) throws SafetensorsFormatException {
            JsonNode n = root.get(key);
            if (n != null && !n.isNull() && !n.asBoolean(false)) {
                throw error(prefix + key, "value " + n + " (" + meaning + ") is not supported");
            }
        }
    }
}
