package dev.hyperattention4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.chat.ChatMessage;
import dev.hyperattention4j.chat.ChatTemplate;
import dev.hyperattention4j.chat.ChatTemplateException;
import dev.hyperattention4j.llm.runtime.SamplingParams;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns the JSON body of {@code /v1/completions} or {@code /v1/chat/completions} into a {@link GenerationRequest},
 * or refuses it with a 400 naming the field. Fields a client may send with their neutral value (for example
 * {@code presence_penalty: 0}, {@code logprobs: null}, {@code echo: false}) are accepted; any other value of a field
 * the server cannot honour, and any field it does not know, is refused rather than ignored.
 */
record RequestParser(String modelName, Tokenizer tokenizer, int context, int layers, int window, ChatTemplate template,
                     String noTemplate) {
    static final int MAX_STOP_STRINGS = 4;
    static final int MAX_STOP_LENGTH = 256;

    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "top_k", "min_p",
            "repeat_penalty", "repeat_last_n", "stop", "seed", "n", "stream", "stream_options", "user",
            "presence_penalty", "frequency_penalty", "logit_bias", "hyperattention");
    private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo", "logprobs", "best_of", "suffix");
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_completion_tokens", "logprobs",
            "top_logprobs", "response_format", "tools", "tool_choice", "parallel_tool_calls", "store", "metadata");

    /**
     * @param window     the model's sliding window; kept only when it is shorter than the context (else 0: none)
     * @param template   the model's chat template, or null
     * @param noTemplate why there is none (the message of a chat request then)
     */
    RequestParser {
        window = window > 0 && window < context ? window : 0;
    }

    GenerationRequest completion(JsonNode body) {
        requireObject(body);
        knownFields(body, COMPLETION_ONLY);
        neutral(body, "echo", v -> v.isBoolean() && !v.asBoolean(), "echo is not supported");
        neutral(body, "logprobs", JsonNode::isNull, "logprobs are not supported");
        neutral(body, "best_of", v -> v.isInt() && v.asInt() == 1, "best_of must be 1");
        neutral(body, "suffix", v -> v.isNull() || v.isTextual() && v.asText().isEmpty(), "suffix is not supported");
        JsonNode p = body.get("prompt");
        String prompt;
        if (p == null || p.isNull()) {
            throw ApiException.invalid("prompt", "prompt is required");
        } else if (p.isTextual()) {
            prompt = p.asText();
        } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            prompt = p.get(0).asText();
        } else {
            throw ApiException.invalid("prompt", "prompt must be a string (or an array of one string)");
        }
        int[] ids = tokenizer.encode(prompt, true);
        if (ids.length == 0) {
            ids = new int[] {tokenizer.bosId()};
        }
        if (ids[0] < 0) {
            throw ApiException.invalid("prompt", "prompt is empty and the model has no BOS token to start from");
        }
        return common(body, false, ids, 16);
    }

    GenerationRequest chat(JsonNode body) {
        requireObject(body);
        knownFields(body, CHAT_ONLY);
        neutral(body, "logprobs", v -> v.isNull() || v.isBoolean() && !v.asBoolean(), "logprobs are not supported");
        neutral(body, "top_logprobs", JsonNode::isNull, "top_logprobs are not supported");
        neutral(body, "response_format", v -> v.isNull() || v.path("type").asText().equals("text"),
                "only response_format {\"type\": \"text\"} is supported");
        neutral(body, "tools", v -> v.isNull() || v.isArray() && v.isEmpty(), "tools are not supported");
        neutral(body, "tool_choice", v -> v.isNull() || v.asText().equals("none"), "tool_choice must be \"none\"");
        neutral(body, "store", v -> v.isNull() || v.isBoolean() && !v.asBoolean(), "store is not supported");
        if (template == null) {
            throw ApiException.invalid("messages", "no_chat_template", noTemplate);
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array");
        }
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            turns.add(message(messages.get(i), "messages[" + i + "]"));
        }
        int[] ids;
        try {
            ids = template.encode(tokenizer, turns);
        } catch (ChatTemplateException e) {
            throw ApiException.invalid("messages", e.getMessage());
        }
        return common(body, true, ids, -1);
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (!m.isObject() || !m.path("role").isTextual()) {
            throw ApiException.invalid(where, where + " must be an object with a string role");
        }
        for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("role", "content", "name").contains(f)) {
                throw ApiException.invalid(where + "." + f, where + "." + f + " is not supported");
            }
        }
        JsonNode c = m.get("content");
        String text;
        if (c != null && c.isTextual()) {
            text = c.asText();
        } else if (c != null && c.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw ApiException.invalid(where + ".content", "only text content parts are supported");
                }
                b.append(part.get("text").asText());
            }
            text = b.toString();
        } else {
            throw ApiException.invalid(where + ".content", where + ".content must be a string or text parts");
        }
        try {
            return new ChatMessage(m.get("role").asText(), text);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(where + ".role", e.getMessage());
        }
    }

    /** The fields both endpoints share; {@code defaultMaxTokens} < 0 means "the rest of the context". */
    private GenerationRequest common(JsonNode body, boolean chat, int[] prompt, int defaultMaxTokens) {
        JsonNode model = body.get("model");
        if (model != null && !model.isNull() && !model.asText().equals(modelName)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found", "The model '"
                    + model.asText() + "' does not exist; this server serves '" + modelName + "'");
        }
        if (prompt.length >= context) {
            throw ApiException.invalid(chat ? "messages" : "prompt",
                    "context_length_exceeded", "the prompt has " + prompt.length + " tokens but the context of "
                            + context + " tokens needs room for at least one more");
        }
        int room = context - prompt.length;
        String maxField = chat && body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = defaultMaxTokens < 0 ? room : Math.min(defaultMaxTokens, room);
        JsonNode mt = body.get(maxField);
        if (mt != null && !mt.isNull()) {
            if (!mt.canConvertToInt() || !mt.isIntegralNumber() || mt.asInt() < 1) {
                throw ApiException.invalid(maxField, maxField + " must be an integer >= 1, got " + mt);
            }
            maxTokens = mt.asInt();
            if (maxTokens > room) {
                throw ApiException.invalid(maxField, "context_length_exceeded", maxField + " = " + maxTokens
                        + " plus the prompt's " + prompt.length + " tokens exceeds the context of " + context
                        + " tokens");
            }
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
            throw ApiException.invalid("n", "only n = 1 is supported, got " + n);
        }
        neutral(body, "logit_bias", v -> v.isObject() && v.isEmpty(), "logit_bias is not supported");
        float temperature = number(body, "temperature", 1f, 0, 2);
        float topP = number(body, "top_p", 1f, Float.MIN_VALUE, 1);
        float minP = number(body, "min_p", 0f, 0, 1);
        float presence = number(body, "presence_penalty", 0f, -2, 2);
        float frequency = number(body, "frequency_penalty", 0f, -2, 2);
        float repeat = number(body, "repeat_penalty", 1f, Float.MIN_VALUE, 10);
        int topK = integer(body, "top_k", 0, 0, Integer.MAX_VALUE, "");
        int repeatLastN = integer(body, "repeat_last_n", 64, 0, SamplingParams.MAX_REPEAT_LAST_N, "");
        long seed;
        JsonNode s = body.get("seed");
        if (s == null || s.isNull()) {
            seed = ThreadLocalRandom.current().nextLong();
        } else if (s.isIntegralNumber() && s.canConvertToLong()) {
            seed = s.asLong();
        } else {
            throw ApiException.invalid("seed", "seed must be an integer, got " + s);
        }
        boolean stream = bool(body, "stream");
        JsonNode so = body.get("stream_options");
        boolean includeUsage = false;
        if (so != null && !so.isNull()) {
            if (!so.isObject() || so.size() > 1 || so.size() == 1 && !so.has("include_usage")) {
                throw ApiException.invalid("stream_options", "stream_options supports only include_usage");
            }
            includeUsage = so.path("include_usage").asBoolean(false);
        }
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, repeat, repeatLastN, frequency,
                presence, seed);
        return new GenerationRequest(chat, prompt, maxTokens, sampling, stops(body), hyper(body), stream,
                includeUsage);
    }

    private HyperSettings hyper(JsonNode body) {
        JsonNode h = body.get("hyperattention");
        if (h == null || h.isNull()) {
            return HyperSettings.DEFAULTS;
        }
        if (!h.isObject()) {
            throw ApiException.invalid("hyperattention", "hyperattention must be an object");
        }
        for (Iterator<String> it = h.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("patch_last", "block_size", "sample_size", "min_seq_len").contains(f)) {
                throw ApiException.invalid("hyperattention." + f, "hyperattention." + f + " is not a setting (use "
                        + "patch_last, block_size, sample_size, min_seq_len)");
            }
        }
        HyperSettings d = HyperSettings.DEFAULTS;
        int patch = integer(h, "patch_last", d.patchLast(), 0, layers, "hyperattention.");
        if (patch > 0 && window > 0) {
            throw ApiException.invalid("hyperattention.patch_last", "the model attends within a sliding window of "
                    + window + " tokens, which HyperAttention does not support: use patch_last 0");
        }
        try {
            return new HyperSettings(patch, integer(h, "block_size", d.blockSize(), 1, 1 << 20, "hyperattention."),
                    integer(h, "sample_size", d.sampleSize(), 0, 1 << 20, "hyperattention."),
                    integer(h, "min_seq_len", d.minSeqLen(), 1, Integer.MAX_VALUE, "hyperattention."));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("hyperattention", e.getMessage());
        }
    }

    private static List<String> stops(JsonNode body) {
        JsonNode s = body.get("stop");
        List<String> out = new ArrayList<>();
        if (s == null || s.isNull()) {
            return out;
        }
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray() && s.size() <= MAX_STOP_STRINGS) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw ApiException.invalid("stop", "stop must hold strings");
                }
                out.add(e.asText());
            }
        } else {
            throw ApiException.invalid("stop", "stop must be a string or an array of at most " + MAX_STOP_STRINGS
                    + " strings");
        }
        for (String x : out) {
            if (x.isEmpty() || x.length() > MAX_STOP_LENGTH) {
                throw ApiException.invalid("stop", "each stop string must have 1 to " + MAX_STOP_LENGTH
                        + " characters");
            }
        }
        return out;
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
    }

    private static void knownFields(JsonNode body, Set<String> endpointFields) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!COMMON.contains(f) && !endpointFields.contains(f)) {
                throw ApiException.invalid(f, "unsupported field '" + f + "'");
            }
        }
    }

    private static void neutral(JsonNode body, String field, java.util.function.Predicate<JsonNode> ok,
                                String message) {
        JsonNode v = body.get(field);
        if (v != null && !v.isNull() && !ok.test(v)) {
            throw ApiException.invalid(field, message + ", got " + v);
        }
    }

    private static float number(JsonNode body, String field, float fallback, float min, float max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiException.invalid(field, field + " must be a number in " + (min == Float.MIN_VALUE ? "(0"
                    : "[" + fmt(min)) + ", " + fmt(max) + "], got " + v);
        }
        return (float) v.asDouble();
    }

    private static String fmt(float x) {
        return x == (int) x ? Integer.toString((int) x) : Float.toString(x);
    }

    /** An integer field of {@code obj} in [min, max]; {@code prefix} names its parent object in messages. */
    private static int integer(JsonNode obj, String field, int fallback, int min, int max, String prefix) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw ApiException.invalid(prefix + field, prefix + field + " must be an integer in [" + min + ", "
                    + (max == Integer.MAX_VALUE ? "2^31-1" : Integer.toString(max)) + "], got " + v);
        }
        return v.asInt();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, field + " must be true or false, got " + v);
        }
        return v.asBoolean();
    }
}
