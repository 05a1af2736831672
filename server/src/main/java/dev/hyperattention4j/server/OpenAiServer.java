package dev.hyperattention4j.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.chat.ChatTemplate;
import dev.hyperattention4j.chat.ChatTemplateException;
import dev.hyperattention4j.chat.ChatTemplates;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * An OpenAI-compatible HTTP server for one model on Javalin (Jetty 12): {@code POST /v1/completions} and
 * {@code POST /v1/chat/completions} (whole or as server-sent events), {@code GET /v1/models}, {@code GET /health},
 * {@code GET /metrics}. Requests go through a bounded queue to {@code parallel} slots; see docs/SERVER.md.
 */
public final class OpenAiServer implements AutoCloseable {
    /** How often a non-streamed request looks at its client's connection while it waits for the answer. */
    static final long CLIENT_CHECK_MILLIS = 50;
    /** The status recorded for a request whose client closed the connection first (nginx's 499). */
    static final int CLIENT_CLOSED = 499;
    private final ServerOptions options;
    private final ObjectMapper json = new ObjectMapper();
    private final List<WorkerPool> pools = new ArrayList<>();
    private final Scheduler scheduler;
    private final ServerMetrics metrics;
    private final RequestParser parser;
    private final Responses responses;
    private final Javalin app;
    private final long created = System.currentTimeMillis() / 1000;
    private final byte[] expectedAuthorization;

    private OpenAiServer(Model model, ServerOptions options, Function<WorkerPool, Attention> exact) throws IOException {
        this.options = options;
        checkCacheFits(model, options);
        LlamaModel prepared = LlamaModel.of(model);
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < options.parallel(); i++) {
            WorkerPool pool = new WorkerPool(options.threadsPerSlot());
            pools.add(pool);
            slots.add(new Slot(i, prepared, model.tokenizer(), options.context(), pool, exact.apply(pool)));
        }
        ChatTemplate template = null;
        String noTemplate = null;
        try {
            template = ChatTemplates.of(model);
        } catch (ChatTemplateException e) {
            noTemplate = e.getMessage();
        }
        this.scheduler = new Scheduler(slots, options.queue());
        this.metrics = new ServerMetrics(scheduler::queued, scheduler::busy, options.parallel());
        scheduler.metrics(metrics);
        this.parser = new RequestParser(options.modelName(), model.tokenizer(), options.context(),
                model.config().layers(), model.config().slidingWindow(), template, noTemplate);
        this.responses = new Responses(json, options.modelName());
        this.expectedAuthorization = options.apiKey() == null ? null
                : ("Bearer " + options.apiKey()).getBytes(StandardCharsets.UTF_8);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.http.maxRequestSize = options.maxBodyBytes();
            config.http.prefer405over404 = true;
            // platform request threads: with virtual threads (2 carriers on this 2-core machine) a streamed token
            // waited up to seconds behind the slots' compute threads; with Jetty's pool it waits milliseconds
            config.concurrency.useVirtualThreads = false;
            config.routes.before(this::authorize);
            config.routes.get("/health", ctx -> ctx.json(health()));
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            config.routes.get("/v1/models", ctx -> send(ctx, 200, responses.models(created)));
            config.routes.post("/v1/completions", ctx -> generate(ctx, false));
            config.routes.post("/v1/chat/completions", ctx -> generate(ctx, true));
            config.routes.exception(ApiException.class, (e, ctx) -> send(ctx, e.status, responses.error(e)));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> send(ctx, e.getStatus(),
                    responses.error(new ApiException(e.getStatus(), "invalid_request_error", null, null,
                            e.getMessage()))));
            config.routes.exception(Exception.class, (e, ctx) -> send(ctx, 500, responses.error(
                    new ApiException(500, "server_error", null, null, "internal error: " + e))));
            config.routes.after(ctx -> metrics.request(endpoint(ctx), ctx.statusCode()));
        });
        try {
            app.start(options.host(), options.port());
        } catch (RuntimeException e) {
            scheduler.close();
            pools.forEach(WorkerPool::close);
            throw new IllegalArgumentException("cannot serve on " + options.host() + ":" + options.port() + " (--host, "
                    + "--port): " + e.getMessage());
        }
    }

    /**
     * The slots' KV caches (float32 keys and values of every layer) must fit in the heap that is left, checked
     * before anything is allocated, so a too-large --parallel or --ctx-size is a message instead of an
     * OutOfMemoryError halfway through start-up.
     */
    static void checkCacheFits(Model model, ServerOptions options) {
        var c = model.config();
        long perSlot = 2L * c.layers() * c.kvHeads() * c.headDim() * options.context() * Float.BYTES;
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (perSlot * options.parallel() > free * 3 / 4) {
            throw new IllegalArgumentException(String.format("%d slots x %d tokens need %,d MiB of KV cache but the "
                            + "heap has about %,d MiB free: lower --parallel or --ctx-size, or raise the heap (-Xmx in "
                            + "HA4J_JVM_OPTS)", options.parallel(), options.context(),
                    perSlot * options.parallel() >> 20, free >> 20));
        }
    }

    /**
     * Starts serving {@code model} (which must stay open until {@link #close}); exact attention per slot from
     * {@code exact}.
     */
    public static OpenAiServer start(Model model, ServerOptions options, Function<WorkerPool, Attention> exact)
            throws IOException {
        return new OpenAiServer(model, options, exact);
    }

    /** {@link #start(Model, ServerOptions, Function)} with the CLI's default exact kernel choice. */
    public static OpenAiServer start(Model model, ServerOptions options) throws IOException {
        int headDim = model.config().headDim();
        return start(model, options, pool -> headDim <= 32 ? new RowwiseAttention(pool, 1024, new FlashAttention(pool))
                : new FlashAttention(pool));
    }

    /** The bound port (the chosen one when the options said 0). */
    public int port() {
        return app.port();
    }

    public ServerOptions options() {
        return options;
    }

    @Override
    public void close() {
        app.stop();
        scheduler.close();
        pools.forEach(WorkerPool::close);
    }

    private ObjectNode health() {
        ObjectNode o = json.createObjectNode();
        o.put("status", "ok");
        o.put("slots", options.parallel());
        o.put("slots_busy", scheduler.busy());
        o.put("queued", scheduler.queued());
        return o;
    }

    private void authorize(Context ctx) {
        if (expectedAuthorization == null || ctx.path().equals("/health")) {
            return;
        }
        String given = ctx.header("Authorization");
        byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(g, expectedAuthorization)) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                    given == null ? "missing API key: send the header 'Authorization: Bearer <key>'"
                            : "invalid API key");
        }
    }

    private static String endpoint(Context ctx) {
        String p = ctx.path();
        return switch (p) {
            case "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics" -> p;
            default -> "other";
        };
    }

    private void send(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private JsonNode body(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > options.maxBodyBytes()) {
            throw tooLarge(declared);
        }
        byte[] bytes;
        try (InputStream in = ctx.req().getInputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, options.maxBodyBytes() + 1));
        }
        if (bytes.length > options.maxBodyBytes()) {
            throw tooLarge(-1);
        }
        if (bytes.length == 0) {
            throw ApiException.invalid(null, "the request body is empty; send a JSON object");
        }
        try {
            return json.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiException.invalid(null, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    private ApiException tooLarge(long declared) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large", "the request body"
                + (declared > 0 ? " of " + declared + " bytes" : "") + " exceeds the limit of "
                + options.maxBodyBytes() + " bytes (--max-body)");
    }

    private void generate(Context ctx, boolean chat) throws IOException, InterruptedException {
        JsonNode body = body(ctx);
        GenerationRequest request = chat ? parser.chat(body) : parser.completion(body);
        GenerationJob job = new GenerationJob(request);
        if (!scheduler.submit(job)) {
            metrics.rejected();
            throw new ApiException(429, "rate_limit_exceeded", null, "queue_full", "the server is busy: "
                    + options.parallel() + " slots generating and " + options.queue() + " requests queued; retry "
                    + "later");
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long createdAt = System.currentTimeMillis() / 1000;
        if (request.stream()) {
            stream(ctx, job, id, createdAt);
            return;
        }
        // nothing is written until the answer is complete, so look at the connection between events: a client that
        // has gone away frees its slot at the next token instead of after max_tokens
        ClientConnection client = ClientConnection.of(ctx);
        long nextCheck = System.nanoTime();
        while (true) {
            GenerationJob.Event e = job.next(CLIENT_CHECK_MILLIS);
            if (System.nanoTime() - nextCheck >= 0) {      // text pieces arrive every token: check by the clock
                nextCheck = System.nanoTime() + CLIENT_CHECK_MILLIS * 1_000_000;
                if (client.closed()) {
                    job.cancel();
                    ctx.status(CLIENT_CLOSED);   // nginx's "client closed request", for the request metrics
                    return;
                }
            }
            if (e instanceof GenerationJob.Done done) {
                send(ctx, 200, responses.complete(id, createdAt, request, done.outcome()));
                return;
            }
            if (e instanceof GenerationJob.Failed failed) {
                throw new ApiException(500, "server_error", null, null, failed.message());
            }
        }
    }

    /** Server-sent events: one {@code data:} line of JSON per chunk, then {@code data: [DONE]}. */
    private void stream(Context ctx, GenerationJob job, String id, long createdAt) throws InterruptedException {
        GenerationRequest r = job.request;
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no");
        double firstTokenMs = -1;
        try {
            ServletOutputStream out = res.getOutputStream();
            if (r.chat()) {
                event(out, responses.chunk(id, createdAt, true, "", true).toString());
            }
            while (true) {
                GenerationJob.Event e = job.next(60_000);
                if (e instanceof GenerationJob.Piece piece) {
                    event(out, responses.chunk(id, createdAt, r.chat(), piece.text(), false).toString());
                    if (firstTokenMs < 0) {
                        firstTokenMs = (System.nanoTime() - job.prefillEndNanos) / 1e6;
                    }
                } else if (e instanceof GenerationJob.Done done) {
                    event(out, responses.finalChunk(id, createdAt, r, done.outcome(), firstTokenMs).toString());
                    if (r.includeUsage()) {
                        event(out, responses.usageChunk(id, createdAt, r, done.outcome()).toString());
                    }
                    event(out, "[DONE]");
                    return;
                } else if (e instanceof GenerationJob.Failed failed) {
                    event(out, responses.error(new ApiException(500, "server_error", null, null, failed.message()))
                            .toString());
                    return;
                }
            }
        } catch (IOException clientGone) {
            job.cancel();   // the slot stops at its next token
        }
    }

    private static void event(ServletOutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
