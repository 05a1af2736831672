package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ha4j generate}: text generation, streamed to the terminal. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text after a prompt, streamed as tokens arrive; stops at end of sequence or "
                + "--max-tokens.",
                "The prompt is prefilled in one batch (HyperAttention in the last L layers with --patch-last L); "
                        + "each generated token is an exact KV-cached decode step."})
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AttentionOptions attention;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt text (default: empty, BOS only).")
    String prompt = "";

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N",
            description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens = 256;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature = 0.8f;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens, 0 = all (default: ${DEFAULT-VALUE}).")
    int topK = 40;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    float topP = 0.95f;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = {"-c", "--context"}, paramLabel = "N",
            description = "KV cache length (default: prompt tokens + --max-tokens).")
    int context = 0;

    @Option(names = "--no-bos", description = "Do not put BOS in front of the prompt.")
    boolean noBos;

    @Option(names = "--chat", description = "Send the prompt as a user message, formatted by the model's own chat "
            + "template (GGUF tokenizer.chat_template, or chat_template in tokenizer_config.json); a model without one "
            + "is an error.")
    boolean chat;

    @Option(names = "--json", description = "Print one JSON document (text and timings) instead of streaming.")
    boolean json;

    /** CPU time of the whole process (all threads, JIT included) so far. */
    static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    @Override
    public Integer call() throws Exception {
        LlamaModel.startKernelWarmup();   // Vector API initialisation in parallel with the model parsing
        try (Model m = modelOptions.open(); WorkerPool pool = modelOptions.pool()) {
            LlamaModel model = LlamaModel.of(m);
            int[] ids = chat ? dev.hyperattention4j.chat.ChatTemplates.of(m).encode(m.tokenizer(),
                    java.util.List.of(dev.hyperattention4j.chat.ChatMessage.user(prompt)))
                    : m.tokenizer().encode(prompt, !noBos);
            if (ids.length == 0) {
                ids = new int[] {m.tokenizer().bosId()};
            }
            int ctx = context > 0 ? context : ids.length + Math.max(1, maxTokens);
            LlamaSession session = model.newSession(ctx, attention.plan(pool, m.config()), pool);
            Sampler sampler = new Sampler(new Sampler.Settings(temperature, topK, topP, seed));
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            Instant[] firstToken = new Instant[1];
            double[] firstTokenCpu = new double[1];
            if (!json && !chat) {
                out.print(prompt);
                out.flush();
            }
            Generator.Result r = Generator.generate(session, m.tokenizer(), ids, maxTokens, sampler, piece -> {
                if (firstToken[0] == null) {
                    firstToken[0] = Instant.now();
                    firstTokenCpu[0] = processCpuSeconds();
                }
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
            });
            Double sinceStart = ProcessHandle.current().info().startInstant()
                    .map(s -> Duration.between(s, firstToken[0] != null ? firstToken[0] : Instant.now()).toNanos() / 1e9)
                    .orElse(null);
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", modelOptions.modelName());
                doc.put("prompt", prompt);
                doc.put("text", r.text());
                doc.put("prompt_tokens", r.promptTokens().length);
                doc.put("generated_tokens", r.newTokens().length);
                doc.put("stop", r.stopReason());
                doc.put("prefill_seconds", r.prefillSeconds());
                doc.put("prompt_tokens_per_second", orNull(r.promptTokensPerSecond()));
                doc.put("generation_tokens_per_second", orNull(r.generatedTokensPerSecond()));
                doc.put("first_token_seconds_since_jvm_start", sinceStart);
                doc.put("first_token_process_cpu_seconds", firstTokenCpu[0]);
                doc.put("attention", session.plan().describe());
                doc.put("sampling", sampler.settings());
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            } else {
                out.println();
                System.err.println(summary(r, sinceStart, firstTokenCpu[0], session.plan().describe()));
            }
        }
        return 0;
    }

    /** The one-line summary after the streamed text: rates only where they are defined (no "NaN t/s"). */
    static String summary(Generator.Result r, Double sinceStart, double firstTokenCpu, String attention) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("prompt: %d %s in %.1f ms", r.promptTokens().length,
                r.promptTokens().length == 1 ? "token" : "tokens", r.prefillSeconds() * 1e3));
        r.promptTokensPerSecond().ifPresent(v -> b.append(String.format(" (%.0f t/s)", v)));
        int n = r.newTokens().length;
        b.append(String.format("; generated %d %s", n, n == 1 ? "token" : "tokens"));
        r.generatedTokensPerSecond().ifPresent(v -> b.append(String.format(" at %.1f t/s", v)));
        b.append("; stop: ").append(r.stopReason());
        if (sinceStart != null && n > 0) {
            b.append(String.format("; time to first token %.3f s after JVM start (process CPU %.3f s)", sinceStart,
                    firstTokenCpu));
        }
        return b.append("; ").append(attention).toString();
    }

    private static Double orNull(java.util.OptionalDouble v) {
        return v.isPresent() ? v.getAsDouble() : null;
    }
}
