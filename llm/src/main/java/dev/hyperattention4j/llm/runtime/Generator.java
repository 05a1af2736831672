package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.tokenizer.StreamingDecoder;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Consumer;

/**
 * Text generation: one batched prefill of the prompt (with the session's attention plan), then KV-cached exact
 * decode steps, each token's text streamed to a consumer as soon as it is complete UTF-8. Stops at EOS, at the
 * token limit, or when the context is full.
 *
 * <p>A fresh JVM runs the kernels on their scalar paths until C2 has compiled the vector ones ({@link KernelWarmup}),
 * and the rest of the loop (sampler, detokenizer) interpreted at first: a short generation in a fresh process does
 * not decode at the steady speed that bench-model reports, and {@link Result#includesCompilation} says so. A
 * generation after {@link #warmUp} (throwaway decode steps until the JIT has compiled the decode path, as llama.cpp
 * warms up with an empty run) decodes at the steady speed; the warm-up's time is then the caller's to report.
 */
public final class Generator {
    /**
     * What a generation produced and how long its two phases took; {@code decodeCpuSeconds} is the CPU time of the
     * threads that did the decode's work (the caller's and the worker pool's; JIT and GC threads not counted), NaN
     * when not measured.
     */
    public record Result(int[] promptTokens, int[] newTokens, String text, double prefillSeconds,
                         double decodeSeconds, String stopReason, boolean includesCompilation,
                         double decodeCpuSeconds) {
        public Result(int[] promptTokens, int[] newTokens, String text, double prefillSeconds, double decodeSeconds,
                      String stopReason, boolean includesCompilation) {
            this(promptTokens, newTokens, text, prefillSeconds, decodeSeconds, stopReason, includesCompilation,
                    Double.NaN);
        }

        public Result(int[] promptTokens, int[] newTokens, String text, double prefillSeconds, double decodeSeconds,
                      String stopReason) {
            this(promptTokens, newTokens, text, prefillSeconds, decodeSeconds, stopReason, false);
        }

        /**
         * The decode rate per CPU time of the working threads divided by {@code threads}: what the decode would run
         * at with a core per thread (bench-model's "t/s (cpu)" estimate, for comparisons on a busy host, where
         * waiting for a core does not count); empty when not measured or fewer than two tokens were generated.
         */
        public OptionalDouble generatedTokensPerCpuSecond(int threads) {
            return newTokens.length > 1 && decodeCpuSeconds > 0
                    ? OptionalDouble.of((newTokens.length - 1) / (decodeCpuSeconds / threads)) : OptionalDouble.empty();
        }

        /** Prefill speed; empty when the clock did not advance. */
        public OptionalDouble promptTokensPerSecond() {
            return prefillSeconds > 0 ? OptionalDouble.of(promptTokens.length / prefillSeconds) : OptionalDouble.empty();
        }

        /**
         * Decode speed over the tokens after the first (the first comes from the prefill's logits); empty when fewer
         * than two tokens were generated, where there is no decode step to time. When {@code includesCompilation},
         * the vector kernels were not compiled yet when the decode started: the rate includes the JIT's warm-up.
         */
        public OptionalDouble generatedTokensPerSecond() {
            return newTokens.length > 1 && decodeSeconds > 0
                    ? OptionalDouble.of((newTokens.length - 1) / decodeSeconds) : OptionalDouble.empty();
        }
    }

    /**
     * What {@link #warmUp} did: its wall time, its decode steps, whether the vector kernels were compiled by its end,
     * and whether its rounds had settled at a steady time (false: it ran out of time first).
     */
    public record WarmUp(double seconds, int steps, boolean compiled, boolean steady) {
    }

    /** Decode steps that one timed round of {@link #warmUp} holds at least (whole throwaway generations). */
    static final int WARMUP_ROUND = 64;
    /**
     * {@link #warmUp} ends when this many rounds in a row (after the vector kernels are compiled) ran no faster per
     * token than {@link #WARMUP_GAIN} times the fastest round so far: the JIT has nothing left that makes a
     * difference. (Asking for rounds close to the fastest one instead never ended on a busy host, where every few
     * rounds waits for a core.)
     */
    static final int WARMUP_STEADY_ROUNDS = 4;
    static final double WARMUP_GAIN = 0.95;
    /**
     * ... and the JIT has been quiet: the JVM's total compilation time has not grown for this many rounds in a row
     * spanning at least {@link #WARMUP_QUIET_NANOS}. Rounds that merely stopped gaining still ended the warm-up before
     * the last compilations on a busy host (a generation after it decoded at 47-92 % of bench-model's rate); C2's
     * last compilations of the decode path land after rounds that look steady.
     */
    static final int WARMUP_QUIET_ROUNDS = 3;
    static final long WARMUP_QUIET_NANOS = 200_000_000L;
    /**
     * Where the warm-up's text goes: three classes in turn, so that C2 compiles the text call of {@link #generate}'s
     * loop as a virtual call that the caller's consumer (a fourth class) passes. With no consumer in the warm-up and
     * one in the real generation, the compiled loop failed its profile's checks at the first real token and
     * deoptimised, and its on-stack replacement three more times (-Xlog:deoptimization: unstable_if and
     * profile_predicate in generate and emit), in the very decode the warm-up was there to make steady.
     */
    private static final Consumer<String>[] WARMUP_SINKS = warmupSinks();
    private static volatile int warmupChars;

    @SuppressWarnings("unchecked")
    private static Consumer<String>[] warmupSinks() {
        Consumer<String> a = piece -> warmupChars += piece.length();
        Consumer<String> b = piece -> warmupChars ^= piece.hashCode();
        Consumer<String> c = piece -> warmupChars = piece.isEmpty() ? 0 : piece.charAt(0);
        return new Consumer[] {a, b, c};
    }

    private Generator() {
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) {
            if (x == id) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs throwaway generations through {@link #generate} itself (the session's decode, a sampler with the same
     * parameters but its own random stream, the streaming detokenizer, the stop strings) until the JIT has compiled
     * that path: the background kernel warm-up has ended, the last {@link #WARMUP_STEADY_ROUNDS} rounds (of at
     * least {@link #WARMUP_ROUND} decode steps each) did not beat the fastest round before them by 5 % per token, and
     * the JIT compiled nothing during the last {@link #WARMUP_QUIET_ROUNDS} rounds ({@link JitActivity}); or the
     * process has used {@code maxCpuSeconds} of CPU time since the call (all its threads, the JIT's included: on a busy
     * host a wall-clock limit ran out before the compilation it waits for had had the CPU time it needs). Rounds are
     * compared by the working threads' CPU time per token. The session is left reset and {@code sampler} is not
     * touched, so the generation that follows produces exactly what it would have without the warm-up.
     */
    public static WarmUp warmUp(LlamaSession session, Tokenizer tokenizer, int[] prompt, int maxNewTokens,
                                Sampler sampler, List<String> stops, double maxCpuSeconds) {
        return warmUp(session, tokenizer, prompt, maxNewTokens, sampler, stops, maxCpuSeconds, null);
    }

    /**
     * {@link #warmUp} whose generations also pass their text, every other generation, to {@code textSink} (may be
     * null): an instance of the caller's own consumer class writing into nothing, so that the caller's output code
     * (printing, encoding) is compiled too before the real generation.
     */
    public static WarmUp warmUp(LlamaSession session, Tokenizer tokenizer, int[] prompt, int maxNewTokens,
                                Sampler sampler, List<String> stops, double maxCpuSeconds, Consumer<String> textSink) {
        long start = System.nanoTime();
        ProcessCpu budget = new ProcessCpu(maxCpuSeconds);
        // first the vector kernels, alone: decode steps on the scalar twins meanwhile would only take the cores from
        // the kernel warm-up and the compiler threads (and compile a path that is left once the kernels are ready)
        KernelWarmup.start();
        KernelWarmup.release();
        while (!KernelWarmup.finished() && budget.left()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        int perGeneration = Math.max(2, Math.min(maxNewTokens, session.capacity() - prompt.length));
        double best = Double.MAX_VALUE;
        int steps = 0, noGain = 0;
        long seed = sampler.params().seed();
        JitActivity jit = new JitActivity(WARMUP_QUIET_ROUNDS, WARMUP_QUIET_NANOS);
        while (budget.left() && !(noGain >= WARMUP_STEADY_ROUNDS && jit.quiet())) {
            boolean compiledBefore = KernelWarmup.finished();
            jit.roundStarts();
            int tokens = 0;
            double seconds = 0;
            while (tokens < WARMUP_ROUND && budget.left()) {
                ++seed;
                Result r = generate(session, tokenizer, prompt, perGeneration,
                        new Sampler(sampler.params().withSeed(seed)), stops,
                        textSink != null && (seed & 1) == 0 ? textSink : WARMUP_SINKS[(int) Math.floorMod(seed, 3L)]);
                tokens += Math.max(0, r.newTokens().length - 1);
                // the working threads' CPU time where measured: a round preempted on a busy host is not slower work
                seconds += Double.isNaN(r.decodeCpuSeconds()) ? r.decodeSeconds() : r.decodeCpuSeconds();
            }
            steps += tokens;
            jit.roundEnds();
            if (!compiledBefore || tokens == 0) {
                continue;   // rounds on the scalar kernels (or while the switch happens) do not count
            }
            double perToken = seconds / tokens;
            noGain = best == Double.MAX_VALUE || perToken < best * WARMUP_GAIN ? 0 : noGain + 1;
            best = Math.min(best, perToken);
        }
        session.reset();
        return new WarmUp((System.nanoTime() - start) / 1e9, steps, KernelWarmup.ready(),
                noGain >= WARMUP_STEADY_ROUNDS && jit.quiet());
    }

    /**
     * Generates up to {@code maxNewTokens} tokens after {@code prompt} (which includes BOS if wanted) from an empty
     * session. {@code onText} receives the text of each token as it completes; may be null.
     */
    public static Result generate(LlamaSession session, Tokenizer tokenizer, int[] prompt, int maxNewTokens,
                                  Sampler sampler, Consumer<String> onText) {
        return generate(session, tokenizer, prompt, maxNewTokens, sampler, List.of(), onText);
    }

    /**
     * Generates up to {@code maxNewTokens} tokens after {@code prompt} (which includes BOS if wanted) from an empty
     * session, stopping early at end of sequence, a full context, or the first of {@code stops} in the generated
     * text (which is then cut before it). {@code onText} receives the text as it becomes final (a tail that may
     * still grow into a stop string is held back); may be null. The prompt tokens are accepted into the sampler
     * (its penalties see them).
     */
    public static Result generate(LlamaSession session, Tokenizer tokenizer, int[] prompt, int maxNewTokens,
                                  Sampler sampler, List<String> stops, Consumer<String> onText) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token (e.g. BOS)");
        }
        if (prompt.length >= session.capacity()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens but the context holds "
                    + session.capacity() + "; raise --context");
        }
        StopStrings stop = new StopStrings(stops);
        session.reset();
        sampler.reset();
        // every end-of-sequence id the files list (Llama 3.1: three); the configuration's when the tokenizer has none
        int[] stopIds = tokenizer.stopIds().length > 0 ? tokenizer.stopIds() : new int[] {session.config().eosId()};
        // rows past the tokenizer's vocabulary are padding (Qwen2 pads 151,665 tokens to 151,936 rows): never sampled
        int vocab = Math.min(session.config().vocabSize(), tokenizer.vocabSize());
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        for (int t : prompt) {
            decoder.next(t);   // primes the decoder: the first new token keeps its leading space after the prompt
            sampler.accept(t);
        }
        StringBuilder text = new StringBuilder();
        // no more tokens than the context can still hold, whatever the limit asked for
        int[] out = new int[Math.max(0, Math.min(maxNewTokens, session.capacity() - prompt.length + 1))];
        int count = 0;
        String reason = "token limit";
        long t0 = System.nanoTime();
        float[] logits = session.forwardLast(prompt);
        long t1 = System.nanoTime();
        long cpu1 = WorkingThreads.cpuNanos();
        long decodeStart = System.nanoTime();   // after the CPU-time reading, which stops every thread (a safepoint)
        boolean compiling = !KernelWarmup.ready();
        while (count < maxNewTokens) {
            int next = sampler.sample(logits, vocab);
            if (contains(stopIds, next)) {
                reason = "end of sequence";
                break;
            }
            out[count++] = next;
            emit(stop.accept(decoder.next(next)), text, onText);
            if (stop.stopped()) {
                reason = "stop string";
                break;
            }
            if (count == maxNewTokens) {
                break;
            }
            if (session.position() >= session.capacity()) {
                reason = "context full";
                break;
            }
            logits = session.decode(next);
        }
        if (!stop.stopped()) {
            emit(stop.accept(decoder.flush()), text, onText);
            if (stop.stopped()) {
                reason = "stop string";
            }
        }
        emit(stop.flush(), text, onText);
        long t2 = System.nanoTime();
        long cpu2 = WorkingThreads.cpuNanos();
        return new Result(prompt.clone(), Arrays.copyOf(out, count), text.toString(), (t1 - t0) / 1e9,
                (t2 - decodeStart) / 1e9, reason, compiling, cpu1 < 0 || cpu2 < 0 ? Double.NaN : (cpu2 - cpu1) / 1e9);
    }

    private static void emit(String piece, StringBuilder text, Consumer<String> onText) {
        if (!piece.isEmpty()) {
            text.append(piece);
            if (onText != null) {
                onText.accept(piece);
            }
        }
    }

    /** A budget of this process's CPU time (all threads), counted from its creation. */
    private static final class ProcessCpu {
        private final java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        private final long end;

        ProcessCpu(double seconds) {
            end = now() + (long) (seconds * 1e9);
        }

        private long now() {
            return os instanceof com.sun.management.OperatingSystemMXBean sun
                    ? sun.getProcessCpuTime() : System.nanoTime();
        }

        boolean left() {
            return now() < end;
        }
    }
}
