package dev.hyperattention4j.server;

/**
 * How {@code ha4j serve} runs.
 *
 * @param host            address to bind (127.0.0.1 unless the user asks otherwise)
 * @param port            TCP port (0 = any free port, for tests)
 * @param modelName       the id clients use in {@code model}
 * @param parallel        slots generating at the same time, each with its own KV cache
 * @param context         tokens per slot's KV cache (prompt + generated)
 * @param queue           requests that may wait for a free slot before new ones get 429
 * @param threadsPerSlot  worker threads of each slot
 * @param apiKey          when not null, every endpoint but /health requires {@code Authorization: Bearer apiKey}
 * @param maxBodyBytes    largest request body accepted (413 above)
 */
public record ServerOptions(String host, int port, String modelName, int parallel, int context, int queue,
                            int threadsPerSlot, String apiKey, long maxBodyBytes) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final long DEFAULT_MAX_BODY = 1L << 20;

    public ServerOptions {
        check(port >= 0 && port <= 65535, "--port must be in [0, 65535], got " + port);
        check(parallel >= 1 && parallel <= 256, "--parallel must be in [1, 256], got " + parallel);
        check(context >= 2, "--ctx-size must be >= 2, got " + context);
        check(queue >= 0 && queue <= 1 << 16, "--queue must be in [0, 65536], got " + queue);
        check(threadsPerSlot >= 1, "threads per slot must be >= 1, got " + threadsPerSlot);
        check(maxBodyBytes >= 1024, "--max-body must be >= 1024 bytes, got " + maxBodyBytes);
        check(host != null && !host.isBlank(), "--host must not be empty");
        check(modelName != null && !modelName.isBlank(), "the model name must not be empty");
        check(apiKey == null || !apiKey.isBlank(), "--api-key must not be empty");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
