package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.llm.runtime.SamplingParams;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Limits, validation, cancellation, prefix reuse, the HyperAttention extension and the bounded queue, through raw
 * HTTP on a loopback port (one slot, so requests meet the same KV cache).
 */
class ServerBehaviourTest {
    static Model model;
    static OpenAiServer server;

    @BeforeAll
    static void start() throws Exception {
        model = ModelLoader.open(SharedData.require("models/tinystories-656k"));
        server = OpenAiServer.start(model, new ServerOptions("127.0.0.1", 0, "tiny", 1, 512, 2, 1, null, 4096));
    }

    @AfterAll
    static void stop() {
        TestModels.close(server, model);
    }

    static void assertError(Http.Reply r, int status, String param, String messagePart) throws Exception {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").asText()).contains(messagePart);
        assertThat(e.has("type")).isTrue();
        if (param != null) {
            assertThat(e.get("param").asText()).isEqualTo(param);
        }
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /**
     * A completion request {@code {"prompt": "x", "<field>": <value>}} is refused with 400, an error naming the field
     * and a message containing {@code messagePart}.
     */
    static void assertBadField(String field, String value, String messagePart) throws Exception {
        String body = "{\"prompt\": \"x\", \"" + field + "\": " + value + "}";
        assertError(Http.post(server, "/v1/completions", body), 400, field, messagePart);
    }

    @Test
    void badRequestsGetOpenAiStyleErrors() throws Exception {
        assertError(Http.post(server, "/v1/completions", "{\"prompt\": "), 400, null, "malformed JSON");
        assertError(Http.post(server, "/v1/completions", "[1, 2]"), 400, null, "must be a JSON object");
        assertError(Http.post(server, "/v1/completions", ""), 400, null, "body is empty");
        assertBadField("max_tokens", "-3", "max_tokens must be an integer >= 1, got -3");
        assertBadField("max_tokens", "1e12", "max_tokens must be an integer >= 1");
        assertBadField("max_tokens", "2000000000", "exceeds the context of 512 tokens");
        assertBadField("n", "3", "only n = 1 is supported");
        assertBadField("temperature", "-1", "temperature must be a number in [0, 2]");
        assertBadField("frobnicate", "true", "unsupported field 'frobnicate'");
        assertBadField("echo", "true", "echo is not supported");
        assertError(Http.post(server, "/v1/completions", "{\"prompt\": 42}"), 400, "prompt", "prompt must be");
        assertError(Http.post(server, "/v1/completions", "{\"model\": \"other\", \"prompt\": \"x\"}"), 404, "model",
                "The model 'other' does not exist");
        assertError(Http.post(server, "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": "
                + "\"hi\"}]}"), 400, "messages", "has no chat template");
        assertError(Http.post(server, "/v1/completions", "{\"prompt\": \"" + "x".repeat(5000) + "\"}"), 413, null,
                "exceeds the limit of 4096 bytes");
        assertError(Http.post(server, "/v1/completions", "{\"prompt\": \"" + "ab ".repeat(1000) + "\"}"), 400,
                "prompt", "but the context of 512 tokens");
        assertError(Http.get(server, "/v1/nothing"), 404, null, "");
        assertError(Http.post(server, "/v1/completions", "{\"prompt\": \"x\", \"hyperattention\": {\"b\": 4}}"), 400,
                "hyperattention.b", "is not a setting");
        assertError(Http.post(server, "/v1/completions", "{\"prompt\": \"x\", \"hyperattention\": "
                + "{\"patch_last\": 9}}"), 400, "hyperattention.patch_last", "must be an integer in [0, 2]");
    }

    @Test
    void penaltiesAndMinPAreTheSamplersOwn() throws Exception {
        int[] ids = model.tokenizer().encode("Once upon a time", true);
        SamplingParams params = new SamplingParams(0f, 0, 1f, 0f, 1.3f, 32, 0.5f, 1.5f, 1);
        String expected;
        try (WorkerPool pool = new WorkerPool(1)) {
            expected = Generator.generate(LlamaModel.of(model).newSession(ids.length + 40,
                    AttentionPlan.exact(new RowwiseAttention(pool)), pool), model.tokenizer(), ids, 40,
                    new Sampler(params), null).text();
        }
        assertThat(expected).isNotEqualTo(TestModels.greedy(model, ids, 40));   // the penalties change the text
        JsonNode r = Http.post(server, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 40, "
                + "\"temperature\": 0, \"repeat_penalty\": 1.3, \"repeat_last_n\": 32, \"frequency_penalty\": 0.5, "
                + "\"presence_penalty\": 1.5, \"min_p\": 0}").json();
        assertThat(r.at("/choices/0/text").asText()).isEqualTo(expected);
        assertBadField("frequency_penalty", "3", "frequency_penalty must be a number in [-2, 2], got 3");
        assertBadField("top_p", "0", "top_p must be a number in (0, 1], got 0");
        assertBadField("repeat_last_n", "-1", "repeat_last_n must be an integer in [0, 1048576], got -1");
    }

    @Test
    void stopStringsEndTheTextBeforeThem() throws Exception {
        String full = TestModels.greedy(model, model.tokenizer().encode("Once upon a time", true), 30);
        int at = full.indexOf("Lily");
        assertThat(at).isPositive();
        JsonNode r = Http.post(server, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, "
                + "\"temperature\": 0, \"stop\": [\"zzz\", \"Lily\"]}").json();
        assertThat(r.at("/choices/0/text").asText()).isEqualTo(full.substring(0, at));
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        Http.Reply s = Http.post(server, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, "
                + "\"temperature\": 0, \"stop\": \"Lily\", \"stream\": true}");
        assertThat(Http.streamedText(s)).isEqualTo(full.substring(0, at));
    }

    @Test
    void aFollowUpPromptReusesTheCachedPrefix() throws Exception {
        String first = "Once upon a time there was a dog";
        JsonNode a = Http.post(server, "/v1/completions", "{\"prompt\": \"" + first + "\", \"max_tokens\": 8, "
                + "\"temperature\": 0}").json();
        String second = first + a.at("/choices/0/text").asText() + " The end.";
        JsonNode b = Http.post(server, "/v1/completions", "{\"prompt\": \"" + second.replace("\n", "\\n")
                + "\", \"max_tokens\": 12, \"temperature\": 0}").json();
        int[] ids = model.tokenizer().encode(second, true);
        assertThat(b.at("/timings/cache_n").asInt()).isGreaterThanOrEqualTo(model.tokenizer().encode(first, true)
                .length - 1);
        assertThat(b.at("/timings/prompt_n").asInt()).isEqualTo(ids.length - b.at("/timings/cache_n").asInt());
        // reusing the cache changes nothing in the answer
        assertThat(b.at("/choices/0/text").asText()).isEqualTo(TestModels.greedy(model, ids, 12));
    }

    @Test
    void hyperAttentionSettingsAreEchoed() throws Exception {
        String prompt = "Once upon a time there was a little girl who liked to play in the park with her friends";
        JsonNode r = Http.post(server, "/v1/completions", "{\"prompt\": \"" + prompt + "\", \"max_tokens\": 4, "
                + "\"temperature\": 0, \"hyperattention\": {\"patch_last\": 1, \"block_size\": 4, \"sample_size\": 4, "
                + "\"min_seq_len\": 8}}").json();
        assertThat(r.get("hyperattention").toString())
                .isEqualTo("{\"patch_last\":1,\"block_size\":4,\"sample_size\":4,\"min_seq_len\":8}");
        assertThat(r.at("/timings/cache_n").asInt()).isZero();   // a patched prefill never continues a cache
        assertThat(r.at("/usage/completion_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void aClientThatDisconnectsCancelsItsGeneration() throws Exception {
        double before = Http.metric(server, "ha4j_requests_cancelled_total");
        HttpRequest req = HttpRequest.newBuilder(Http.uri(server, "/v1/completions")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once\", \"max_tokens\": 500, "
                        + "\"temperature\": 1, \"seed\": 3, \"stream\": true}")).build();
        HttpResponse<InputStream> r = Http.CLIENT.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            byte[] first = in.readNBytes(16);
            assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("data: ");
        }
        // the slot notices at its next write; wait for it (bounded)
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Http.metric(server, "ha4j_requests_cancelled_total") <= before && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(Http.metric(server, "ha4j_requests_cancelled_total")).isGreaterThan(before);
    }

    /**
     * A non-streamed request writes nothing until its answer is complete, so only the probe of its connection can
     * see the client leave: the generation stops early (cancelled, fewer tokens than asked) and the slot serves the
     * next request. Greedy from "Once" the model writes 480 tokens without an end of sequence (the text is checked).
     */
    @Test
    void aNonStreamedRequestIsCancelledWhenItsClientCloses() throws Exception {
        String body = "{\"prompt\": \"Once\", \"max_tokens\": 480, \"temperature\": 0}";
        Http.Reply whole = Http.post(server, "/v1/completions", body);
        assertThat(whole.status()).as(whole.body()).isEqualTo(200);
        assertThat(whole.json().at("/usage/completion_tokens").asInt()).as("greedy text runs to max_tokens").isEqualTo(480);
        double cancelled = Http.metric(server, "ha4j_requests_cancelled_total");
        double generated = Http.metric(server, "ha4j_generated_tokens_total");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }   // closed at once, before the first token can have been generated on this host
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Http.metric(server, "ha4j_requests_cancelled_total") <= cancelled && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Http.metric(server, "ha4j_requests_cancelled_total")).isEqualTo(cancelled + 1);
        double tokens = Http.metric(server, "ha4j_generated_tokens_total") - generated;
        assertThat(tokens).as("tokens generated for the request whose client left").isLessThan(480);
        // the slot is free: the same request completes
        Http.Reply again = Http.post(server, "/v1/completions", body);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().at("/choices/0/text").asText()).isEqualTo(whole.json().at("/choices/0/text").asText());
    }

    @Test
    void aFullQueueAnswers429() throws Exception {
        // one slot and a queue of two: of eight long requests sent at once, some must be refused at once
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Http.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                replies.add(clients.submit(() -> Http.post(server, "/v1/completions", "{\"prompt\": \"Once\", "
                        + "\"max_tokens\": 400, \"temperature\": 1, \"seed\": 1}")));
            }
            int ok = 0, busy = 0;
            for (Future<Http.Reply> f : replies) {
                Http.Reply r = f.get();
                if (r.status() == 429) {
                    busy++;
                    assertThat(r.json().at("/error/code").asText()).isEqualTo("queue_full");
                } else {
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    ok++;
                }
            }
            assertThat(busy).isPositive();
            assertThat(ok).isGreaterThanOrEqualTo(1);
            assertThat(Http.metric(server, "ha4j_requests_rejected_queue_full_total")).isEqualTo(busy);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void slotsThatCannotFitAreRefusedBeforeAllocating() {
        ServerOptions huge = new ServerOptions("127.0.0.1", 0, "tiny", 256, 1 << 30, 2, 1, null, 4096);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpenAiServer.checkCacheFits(model, huge))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("256 slots x 1073741824 tokens need ")
                .hasMessageContaining("lower --parallel or --ctx-size");
    }

    @Test
    void aPortInUseIsAOneLineError() {
        ServerOptions same = new ServerOptions("127.0.0.1", server.port(), "tiny", 1, 64, 1, 1, null, 4096);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpenAiServer.start(model, same))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot serve on 127.0.0.1:" + server.port() + " (--host, --port): ")
                .hasMessageContaining("in use");
    }

    @Test
    void metricsAndHealth() throws Exception {
        Http.post(server, "/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 3}");
        String text = Http.get(server, "/metrics").body();
        assertThat(text).contains("# TYPE ha4j_requests_total counter", "ha4j_queue_length ",
                "ha4j_prompt_tokens_per_second ", "ha4j_generated_tokens_per_second ", "ha4j_generated_tokens_total ");
        assertThat(Http.metric(server, "ha4j_generated_tokens_total")).isGreaterThanOrEqualTo(3);
        assertThat(Http.get(server, "/health").json().get("status").asText()).isEqualTo("ok");
    }
}
