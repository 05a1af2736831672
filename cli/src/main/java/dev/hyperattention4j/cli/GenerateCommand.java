package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.llm.runtime.SamplingParams;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
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

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt text (default: empty, BOS only; "
            + "or standard input when it is piped and ready).")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Read the prompt from a UTF-8 file; - = standard input (waits for its end).")
    String promptFile;

    @Range(min = 0, max = 1 << 24)
    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N",
            description = "Tokens to generate at most, >= 0 (default: ${DEFAULT-VALUE}).")
    int maxTokens = 256;

    @Range(min = 0, max = 100, note = "0 = greedy")
    @Option(names = {"--temp", "--temperature"}, paramLabel = "T",
            description = "Temperature in [0, 100], 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature = 0.8f;

    @Range(min = 0, max = 1 << 22, note = "0 = all")
    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens, 0 = all (default: ${DEFAULT-VALUE}).")
    int topK = 40;

    @Range(min = 0, max = 1)
    @Option(names = "--top-p", paramLabel = "P",
            description = "Nucleus: keep the most likely tokens up to mass P in (0, 1], 1 = off (default: ${DEFAULT-VALUE}).")
    float topP = 0.95f;

    @Range(min = 0, max = 1)
    @Option(names = "--min-p", paramLabel = "P",
            description = "Keep tokens at least P times as likely as the most likely, P in [0, 1], 0 = off "
                    + "(default: ${DEFAULT-VALUE}).")
    float minP = 0.05f;

    @Range(min = 0, max = 10)
    @Option(names = "--repeat-penalty", paramLabel = "R",
            description = "Penalize the tokens of the last --repeat-last-n, R in (0, 10], 1 = off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty = 1f;

    @Range(min = 0, max = 1 << 20)
    @Option(names = "--repeat-last-n", paramLabel = "N",
            description = "Tokens (prompt included) the penalties look back over, 0 = none (default: ${DEFAULT-VALUE}).")
    int repeatLastN = 64;

    @Range(min = -2, max = 2)
    @Option(names = "--frequency-penalty", paramLabel = "F",
            description = "Subtract F x count of each recent token, F in [-2, 2] (default: ${DEFAULT-VALUE}).")
    float frequencyPenalty = 0f;

    @Range(min = -2, max = 2)
    @Option(names = "--presence-penalty", paramLabel = "F",
            description = "Subtract F from each recent token, F in [-2, 2] (default: ${DEFAULT-VALUE}).")
    float presencePenalty = 0f;

    @AnyValue
    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default: random, printed to stderr).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop before this text (repeatable); it is not printed.")
    List<String> stops = new ArrayList<>();

    @Range(min = 0, max = 1 << 24, note = "0 = prompt + --max-tokens")
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

    @Option(names = "--warmup", description = "Warm up first (throwaway generations until the JIT has compiled "
            + "the decode path, at most " + (int) WARMUP_MAX_SECONDS + " s of CPU time, printed apart): the decode "
            + "rate is then the steady one, but the first token comes later. Off by default: for a small model the "
            + "warm-up costs more than it saves, and the rate then says that it includes the JIT's warm-up.")
    boolean warmup;

    /**
     * The warm-up's limit in CPU seconds of the process (the JIT's threads included; a wall-clock limit ran out on a
     * busy host before the compiler had had the CPU time it needs). If it is reached, the rate says so.
     */
    static final double WARMUP_MAX_SECONDS = 8;

    /** CPU time of the whole process (all threads, JIT included) so far. */
    static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    /** The sampling options as parameters; the error names the option and its range. */
    SamplingParams samplingParams(long s) {
        try {
            return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
                    presencePenalty, s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage());
        }
    }

    /** The prompt: -p, -f FILE, -f - (standard input), or piped standard input that is already readable. */
    String promptText() throws IOException {
        if (prompt != null && promptFile != null) {
            throw new IllegalArgumentException("give the prompt with -p or with -f, not both");
        }
        if (prompt != null) {
            return prompt;
        }
        if (promptFile != null) {
            if (promptFile.equals("-")) {
                return readUtf8(System.in.readAllBytes(), "standard input");
            }
            Path f = Path.of(promptFile);
            if (Files.isDirectory(f)) {
                throw new IllegalArgumentException("-f " + promptFile + ": is a directory, not a text file");
            }
            return readUtf8(Files.readAllBytes(f), promptFile);
        }
        // no prompt option: a pipe with data waiting is the prompt (a terminal, or nothing written yet, is not)
        java.io.Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        if (!terminal && System.in.available() > 0) {
            return readUtf8(System.in.readAllBytes(), "standard input");
        }
        return "";
    }

    private static String readUtf8(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(source + ": the prompt is not valid UTF-8");
        }
    }

    @Override
    public Integer call() throws Exception {
        LlamaModel.startKernelWarmup();   // Vector API initialisation in parallel with the model parsing
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must be >= 0, got " + maxTokens);
        }
        if (context < 0) {
            throw new IllegalArgumentException("--context must be >= 0 (0 = prompt + --max-tokens), got " + context);
        }
        long s = seed != null ? seed : new SplittableRandom().nextLong() & Long.MAX_VALUE;
        SamplingParams params = samplingParams(s);
        for (String stop : stops) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("--stop must not be empty");
            }
        }
        String text = promptText();
        try (Model m = modelOptions.open(); WorkerPool pool = modelOptions.pool()) {
            LlamaModel model = LlamaModel.of(m);
            attention.validate(m.config());
            int[] ids = chat ? dev.hyperattention4j.chat.ChatTemplates.of(m).encode(m.tokenizer(),
                    java.util.List.of(dev.hyperattention4j.chat.ChatMessage.user(text)))
                    : m.tokenizer().encode(text, !noBos);
            if (ids.length == 0) {
                ids = new int[] {m.tokenizer().bosId()};
            }
            long wanted = context > 0 ? context : (long) ids.length + Math.max(1, maxTokens);
            if (wanted > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("--max-tokens " + maxTokens + " with a " + ids.length
                        + "-token prompt is more than a context can hold");
            }
            modelOptions.requireContext(m.config(), wanted, context > 0 ? "-c/--context"
                    : "-n/--max-tokens (or the prompt)");
            int ctx = (int) wanted;
            LlamaSession session = model.newSession(ctx, attention.plan(pool, m.config()), pool);
            Sampler sampler = new Sampler(params);
            Generator.WarmUp warm = !warmup || maxTokens < 2 ? null
                    : Generator.warmUp(session, m.tokenizer(), ids, maxTokens, sampler, stops, WARMUP_MAX_SECONDS,
                            json ? null : StreamedText.discarding());
            if (seed == null) {
                System.err.println("seed: " + s);   // after every check, so an error stays a single line
            }
            StreamedText out = new StreamedText(System.out, !json);
            if (!json && !chat) {
                out.printNow(text);
            }
            Generator.Result r;
            try {
                r = Generator.generate(session, m.tokenizer(), ids, maxTokens, sampler, stops, out);
            } finally {
                out.flush();        // the text so far, also when the generation fails
            }
            Timing timing = out.firstPiece() == null ? null : new Timing(StartClock.sinceJvmStart(out.firstPiece()),
                    StartClock.sinceLaunch(out.firstPiece()), out.firstPieceCpu());
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", modelOptions.modelName());
                doc.put("prompt", text);
                doc.put("text", r.text());
                doc.put("prompt_tokens", r.promptTokens().length);
                doc.put("generated_tokens", r.newTokens().length);
                doc.put("stop", r.stopReason());
                doc.put("prefill_seconds", r.prefillSeconds());
                doc.put("prompt_tokens_per_second", orNull(r.promptTokensPerSecond()));
                doc.put("generation_tokens_per_second", orNull(r.generatedTokensPerSecond()));
                doc.put("generation_tokens_per_cpu_second_estimate", orNull(r.generatedTokensPerCpuSecond(pool.threads())));
                doc.put("generation_includes_jit_warmup", includesJit(r, warm));
                doc.put("warmup_seconds", warm == null ? null : warm.seconds());
                doc.put("warmup_decode_steps", warm == null ? null : warm.steps());
                doc.put("first_token_seconds_since_jvm_start", timing == null ? null : timing.sinceJvmStart());
                doc.put("first_token_seconds_since_launch", timing == null ? null : orNull(timing.sinceLaunch()));
                doc.put("first_token_process_cpu_seconds", timing == null ? null : timing.processCpu());
                doc.put("attention", session.plan().describe());
                doc.put("sampling", params);
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            } else {
                out.printNow(System.lineSeparator());
                System.err.println(summary(r, warm, timing, session.plan().describe(), pool.threads()));
            }
        }
        return 0;
    }

    /** When the first token's text appeared: seconds after the JVM's start and the launcher's, process CPU. */
    record Timing(double sinceJvmStart, OptionalDouble sinceLaunch, double processCpu) {
    }

    /**
     * Whether the decode rate includes the JIT's warm-up: no warm-up ran (or it did not settle) and the kernels were
     * not compiled when the decode began; after a settled warm-up the rate is the steady one.
     */
    static boolean includesJit(Generator.Result r, Generator.WarmUp warm) {
        if (warm == null) {
            return r.includesCompilation();
        }
        return !warm.steady();
    }

    /** The one-line summary after the streamed text: rates only where they are defined (no "NaN t/s"). */
    static String summary(Generator.Result r, Generator.WarmUp warm, Timing timing, String attention) {
        return summary(r, warm, timing, attention, 1);
    }

    static String summary(Generator.Result r, Generator.WarmUp warm, Timing timing, String attention, int threads) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("prompt: %d %s in %.1f ms", r.promptTokens().length,
                r.promptTokens().length == 1 ? "token" : "tokens", r.prefillSeconds() * 1e3));
        r.promptTokensPerSecond().ifPresent(v -> b.append(String.format(" (%.0f t/s)", v)));
        int n = r.newTokens().length;
        b.append(String.format("; generated %d %s", n, n == 1 ? "token" : "tokens"));
        r.generatedTokensPerSecond().ifPresent(v -> b.append(String.format(" at %.1f t/s", v)));
        r.generatedTokensPerCpuSecond(threads).ifPresent(v -> b.append(String.format(" (cpu estimate %.0f t/s)", v)));
        if (includesJit(r, warm) && n > 1) {
            b.append(" (includes the JIT's warm-up: bench-model reports the steady rate)");
        }
        if (warm != null) {
            b.append(String.format("; warm-up %.2f s (%d throwaway decode steps, not in the rates%s)", warm.seconds(),
                    warm.steps(), warm.steady() ? "" : ", stopped before the rate settled"));
        }
        b.append("; stop: ").append(r.stopReason());
        if (timing != null) {
            b.append(String.format("; time to first token %.3f s after JVM start", timing.sinceJvmStart()));
            timing.sinceLaunch().ifPresent(v -> b.append(String.format(" (%.3f s after launch)", v)));
            b.append(String.format(", process CPU %.3f s", timing.processCpu()));
        }
        return b.append("; ").append(attention).toString();
    }

    private static Double orNull(java.util.OptionalDouble v) {
        return v.isPresent() ? v.getAsDouble() : null;
    }
}
