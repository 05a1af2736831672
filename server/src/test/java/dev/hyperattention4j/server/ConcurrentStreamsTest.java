package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 32 streaming clients at once on 4 slots (loopback): every answer equals what one request alone gets at temperature
 * 0, none is lost or refused, and after a warm-up round the heap stays flat from round to round (nothing per
 * request is kept). Prints the delay from the end of each prefill to its first token on the socket.
 */
class ConcurrentStreamsTest {
    static final int CLIENTS = 32;
    /** Rounds of 32 streams: the first warms the server up (pools, JIT), the later ones must not grow the heap. */
    static final int ROUNDS = Math.max(3, Integer.getInteger("rounds", 3));
    static final String[] PROMPTS = {"Once upon a time", "The little dog", "Tom and Sue went to the park",
            "One day, a bird"};

    @Test
    void thirtyTwoStreamsGetTheSingleRequestText() throws Exception {
        try (Model model = ModelLoader.open(SharedData.require("models/tinystories-656k"));
             OpenAiServer server = OpenAiServer.start(model, new ServerOptions("127.0.0.1", 0, "tiny", 4, 512,
                     CLIENTS, 1, null, ServerOptions.DEFAULT_MAX_BODY));
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            String[] expected = new String[PROMPTS.length];
            for (int i = 0; i < PROMPTS.length; i++) {
                expected[i] = TestModels.greedy(model, model.tokenizer().encode(PROMPTS[i], true), 64);
            }
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            long[] heapAfter = new long[ROUNDS];
            List<Double> firstTokenMs = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                List<Future<Http.Reply>> replies = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    String prompt = PROMPTS[c % PROMPTS.length];
                    replies.add(clients.submit(() -> Http.post(server, "/v1/completions", "{\"model\": \"tiny\", "
                            + "\"prompt\": \"" + prompt + "\", \"max_tokens\": 64, \"temperature\": 0, "
                            + "\"stream\": true}")));
                }
                for (int c = 0; c < CLIENTS; c++) {
                    Http.Reply r = replies.get(c).get(180, TimeUnit.SECONDS);
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    assertThat(r.body()).endsWith("data: [DONE]\n\n");
                    assertThat(Http.streamedText(r)).as("client %d", c).isEqualTo(expected[c % PROMPTS.length]);
                    List<JsonNode> events = r.events();
                    JsonNode last = events.getLast();
                    assertThat(last.at("/choices/0/finish_reason").asText()).isIn("length", "stop");
                    firstTokenMs.add(last.at("/timings/first_token_after_prefill_ms").asDouble());
                }
                System.gc();
                heapAfter[round] = memory.getHeapMemoryUsage().getUsed();
            }
            assertThat(Http.metric(server, "ha4j_requests_rejected_queue_full_total")).isZero();
            double[] alone = new double[8];
            for (int i = 0; i < alone.length; i++) {
                Http.Reply r = Http.post(server, "/v1/completions", "{\"prompt\": \"" + PROMPTS[i % PROMPTS.length]
                        + "\", \"max_tokens\": 64, \"temperature\": 0, \"stream\": true}");
                alone[i] = r.events().getLast().at("/timings/first_token_after_prefill_ms").asDouble();
            }
            Arrays.sort(alone);
            double[] ms = firstTokenMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("ConcurrentStreamsTest: first token after prefill, one stream at a time: median %.2f ms,"
                            + " max %.2f ms; %d streams 32 at a time on 4 slots: median %.2f ms, p90 %.2f ms, max %.2f"
                            + " ms; heap after GC per round (MB): %s (2 shared cores, other builds running)%n",
                    alone[alone.length / 2], alone[alone.length - 1], ms.length, ms[ms.length / 2],
                    ms[(int) (ms.length * 0.9)], ms[ms.length - 1], Arrays.toString(Arrays.stream(heapAfter)
                            .mapToObj(b -> String.format("%.1f", b / 1e6)).toArray()));
            assertThat(Arrays.stream(ms).min().orElseThrow()).isGreaterThanOrEqualTo(0);
            // bounded: after the warm-up round, further rounds of 32 streams leave less than 4 MB behind in total
            assertThat(heapAfter[ROUNDS - 1]).isLessThan(heapAfter[1] + (4L << 20));
        }
    }
}
