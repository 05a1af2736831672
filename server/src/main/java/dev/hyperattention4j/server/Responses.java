package dev.hyperattention4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON of OpenAI's completion and chat completion objects, whole and as stream chunks, with two additions:
 * llama-server's {@code timings} and the {@code hyperattention} settings the prefill used.
 */
final class Responses {
    private final ObjectMapper json;
    private final String model;

    Responses(ObjectMapper json, String model) {
        this.json = json;
        this.model = model;
    }

    private ObjectNode envelope(String id, boolean chat, boolean chunk, long created) {
        ObjectNode o = json.createObjectNode();
        o.put("id", id);
        o.put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
        o.put("created", created);
        o.put("model", model);
        o.put("system_fingerprint", "hyperattention4j");
        return o;
    }

    /** The whole answer of a non-streamed request. */
    ObjectNode complete(String id, long created, GenerationRequest r, GenerationJob.Outcome o) {
        ObjectNode root = envelope(id, r.chat(), false, created);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (r.chat()) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", o.text());
        } else {
            choice.put("text", o.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", o.finishReason());
        root.set("usage", usage(o));
        root.set("timings", timings(o, -1));
        root.set("hyperattention", hyper(r.hyper()));
        return root;
    }

    /** A stream chunk carrying generated text (or the chat's opening role when {@code role} is set). */
    ObjectNode chunk(String id, long created, boolean chat, String text, boolean role) {
        ObjectNode root = envelope(id, chat, true, created);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (role) {
                delta.put("role", "assistant");
            }
            delta.put("content", text);
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return root;
    }

    /** The last content chunk: the finish reason, timings and the HyperAttention settings. */
    ObjectNode finalChunk(String id, long created, GenerationRequest r, GenerationJob.Outcome o,
                          double firstTokenAfterPrefillMs) {
        ObjectNode root = envelope(id, r.chat(), true, created);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (r.chat()) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", o.finishReason());
        root.set("timings", timings(o, firstTokenAfterPrefillMs));
        root.set("hyperattention", hyper(r.hyper()));
        return root;
    }

    /** The chunk OpenAI sends after the last one when {@code stream_options.include_usage} is set. */
    ObjectNode usageChunk(String id, long created, GenerationRequest r, GenerationJob.Outcome o) {
        ObjectNode root = envelope(id, r.chat(), true, created);
        root.putArray("choices");
        root.set("usage", usage(o));
        return root;
    }

    ObjectNode usage(GenerationJob.Outcome o) {
        ObjectNode u = json.createObjectNode();
        u.put("prompt_tokens", o.promptTokens());
        u.put("completion_tokens", o.completionTokens());
        u.put("total_tokens", o.promptTokens() + o.completionTokens());
        return u;
    }

    /**
     * llama-server's timings: prompt_n counts the prompt tokens actually prefilled (cache_n were reused), predicted
     * covers every generated token from the end of the prefill on. A streamed answer adds how long after the prefill
     * the first token reached the socket.
     */
    ObjectNode timings(GenerationJob.Outcome o, double firstTokenAfterPrefillMs) {
        ObjectNode t = json.createObjectNode();
        int promptN = o.promptTokens() - o.cachedTokens();
        t.put("cache_n", o.cachedTokens());
        t.put("prompt_n", promptN);
        t.put("prompt_ms", o.promptMs());
        t.put("prompt_per_token_ms", promptN > 0 ? o.promptMs() / promptN : 0);
        t.put("prompt_per_second", o.promptMs() > 0 ? promptN * 1e3 / o.promptMs() : 0);
        t.put("predicted_n", o.completionTokens());
        t.put("predicted_ms", o.predictedMs());
        t.put("predicted_per_token_ms", o.completionTokens() > 0 ? o.predictedMs() / o.completionTokens() : 0);
        t.put("predicted_per_second", o.predictedMs() > 0 ? o.completionTokens() * 1e3 / o.predictedMs() : 0);
        if (firstTokenAfterPrefillMs >= 0) {
            t.put("first_token_after_prefill_ms", firstTokenAfterPrefillMs);
        }
        return t;
    }

    ObjectNode hyper(HyperSettings h) {
        ObjectNode o = json.createObjectNode();
        o.put("patch_last", h.patchLast());
        o.put("block_size", h.blockSize());
        o.put("sample_size", h.sampleSize());
        o.put("min_seq_len", h.minSeqLen());
        return o;
    }

    ObjectNode error(ApiException e) {
        ObjectNode root = json.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        if (e.param == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param);
        }
        if (e.code == null) {
            err.putNull("code");
        } else {
            err.put("code", e.code);
        }
        return root;
    }

    ObjectNode models(long created) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        ObjectNode m = data.addObject();
        m.put("id", model);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "hyperattention4j");
        return root;
    }
}
