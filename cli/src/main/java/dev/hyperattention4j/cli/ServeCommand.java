package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.server.OpenAiServer;
import dev.hyperattention4j.server.ServerOptions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ha4j serve}: the OpenAI-compatible HTTP server of module {@code server} for one model. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over an OpenAI-compatible HTTP API: POST /v1/completions, "
                + "POST /v1/chat/completions (stream: true for server-sent events), GET /v1/models, GET /health, "
                + "GET /metrics (Prometheus).",
                "Binds 127.0.0.1 unless --host says otherwise. HyperAttention is chosen per request with the "
                        + "\"hyperattention\" field (docs/SERVER.md)."})
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDR",
            description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 exposes the server to the network).")
    String host = ServerOptions.DEFAULT_HOST;

    @Range(min = 0, max = 65535, note = "0 = any free port")
    @Option(names = "--port", paramLabel = "N", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Range(min = 1, max = 256)
    @Option(names = {"-np", "--parallel"}, paramLabel = "N",
            description = "Slots generating at the same time, each with its own KV cache (default: ${DEFAULT-VALUE}).")
    int parallel = 4;

    @Range(min = 0, max = 1 << 24, note = "0 = the model's trained context, at most 4096")
    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N",
            description = "KV cache length of each slot in tokens (default: the model's trained context, at most 4096).")
    int context = 0;

    @Range(min = 0, max = 1 << 16)
    @Option(names = "--queue", paramLabel = "N",
            description = "Requests that may wait for a free slot; more get HTTP 429 (default: ${DEFAULT-VALUE}).")
    int queue = 64;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:HA4J_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on every endpoint except /health (default: the "
                    + "environment variable HA4J_API_KEY; none when unset).")
    String apiKey;

    @Option(names = "--alias", paramLabel = "NAME",
            description = "Model id for clients (default: the model's file or folder name).")
    String alias;

    @Range(min = 1024, max = 1 << 30)
    @Option(names = "--max-body", paramLabel = "BYTES",
            description = "Largest request body accepted (default: ${DEFAULT-VALUE}).")
    long maxBody = ServerOptions.DEFAULT_MAX_BODY;

    @Override
    public Integer call() throws Exception {
        if (modelOptions.threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + modelOptions.threads);
        }
        LlamaModel.startKernelWarmup();
        try (Model m = modelOptions.open()) {
            int ctx = context > 0 ? context : Math.min(m.config().contextLength(), 4096);
            int threads = Math.max(1, modelOptions.threads / Math.max(1, parallel));   // --parallel is checked below
            HeapBudget.require((double) LlamaSession.bytesFor(m.config(), ctx, threads) * parallel, parallel
                    + " slots of " + ctx + " tokens of context", "lower -c/--ctx-size or -np/--parallel");
            ServerOptions options = new ServerOptions(host, port, alias != null ? alias : modelOptions.modelName(),
                    parallel, ctx, queue, threads, apiKey == null || apiKey.isEmpty() ? null : apiKey, maxBody);
            CountDownLatch stopped = new CountDownLatch(1);
            try (OpenAiServer server = OpenAiServer.start(m, options)) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    server.close();
                    stopped.countDown();
                }));
                System.err.printf("ha4j serve: %s on http://%s:%d (%d slots x %d tokens, %d thread(s) each, queue %d, "
                                + "%s)%n", options.modelName(), host, server.port(), parallel, ctx, threads, queue,
                        options.apiKey() != null ? "API key required" : "no API key");
                stopped.await();
            }
        }
        return 0;
    }
}
