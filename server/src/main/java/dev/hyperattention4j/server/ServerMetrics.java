package dev.hyperattention4j.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics (text exposition format at {@code GET /metrics}): requests by endpoint and
 * status, prompt and generated tokens, queue length and busy slots, and the prefill and decode speeds averaged over
 * every finished request (tokens over the time spent in that phase, as llama-server reports them).
 */
final class ServerMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter promptTokens;
    private final Counter cachedTokens;
    private final Counter generatedTokens;
    private final Counter prefillSeconds;
    private final Counter decodeSeconds;
    private final Counter cancelled;
    private final Counter rejected;

    ServerMetrics(IntSupplier queued, IntSupplier busySlots, int slots) {
        requests = Counter.builder().name("ha4j_requests").help("HTTP requests by endpoint and status code")
                .labelNames("endpoint", "status").register(registry);
        promptTokens = Counter.builder().name("ha4j_prompt_tokens").help("Prompt tokens of finished requests")
                .register(registry);
        cachedTokens = Counter.builder().name("ha4j_prompt_tokens_cached")
                .help("Prompt tokens whose KV cache entries were reused from the slot's previous request")
                .register(registry);
        generatedTokens = Counter.builder().name("ha4j_generated_tokens").help("Generated tokens")
                .register(registry);
        prefillSeconds = Counter.builder().name("ha4j_prefill_seconds").help("Time spent in prompt prefill")
                .register(registry);
        decodeSeconds = Counter.builder().name("ha4j_decode_seconds").help("Time spent generating tokens")
                .register(registry);
        cancelled = Counter.builder().name("ha4j_requests_cancelled")
                .help("Generations stopped because the client disconnected").register(registry);
        rejected = Counter.builder().name("ha4j_requests_rejected_queue_full")
                .help("Requests refused with 429 because the queue was full").register(registry);
        GaugeWithCallback.builder().name("ha4j_queue_length").help("Requests waiting for a free slot")
                .callback(cb -> cb.call(queued.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("ha4j_slots_busy").help("Slots generating now")
                .callback(cb -> cb.call(busySlots.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("ha4j_slots").help("Parallel slots (--parallel)")
                .callback(cb -> cb.call(slots)).register(registry);
        GaugeWithCallback.builder().name("ha4j_prompt_tokens_per_second")
                .help("Prefill speed: new prompt tokens over prefill time, all finished requests")
                .callback(cb -> cb.call(rate(promptTokens.get() - cachedTokens.get(), prefillSeconds.get())))
                .register(registry);
        GaugeWithCallback.builder().name("ha4j_generated_tokens_per_second")
                .help("Decode speed: generated tokens over generation time, all finished requests")
                .callback(cb -> cb.call(rate(generatedTokens.get(), decodeSeconds.get()))).register(registry);
    }

    private static double rate(double tokens, double seconds) {
        return seconds > 0 ? tokens / seconds : 0;
    }

    void request(String endpoint, int status) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
    }

    void rejected() {
        rejected.inc();
    }

    void finished(GenerationJob.Outcome o) {
        promptTokens.inc(o.promptTokens());
        cachedTokens.inc(o.cachedTokens());
        generatedTokens.inc(o.completionTokens());
        prefillSeconds.inc(o.promptMs() / 1e3);
        decodeSeconds.inc(o.predictedMs() / 1e3);
        if (o.finishReason().equals("cancelled")) {
            cancelled.inc();
        }
    }

    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
