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
    /** What a generation produced and how long its two phases took. */
    public record Result(int[] promptTokens, int[] newTokens, String text, double prefillSeconds,
                         double decodeSeconds, String stopReason, boolean includesCompilation) {
        public Result(int[] promptTokens, int[] newTokens, String text, double prefillSeconds, double decodeSeconds,
                      String stopReason) {
            this(promptTokens, newTokens, text, prefillSeconds, decodeSeconds, stopReason, false);
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

    /** Decode steps per timed round of {@link #warmUp}. */
    static final int WARMUP_ROUND = 32;
    /**
     * {@link #warmUp} ends when this many rounds in a row (after the vector kernels are compiled) ran no faster than
     * {@link #WARMUP_GAIN} times the fastest round so far: the JIT has nothing left that makes a difference. (Asking
     * for rounds close to the fastest one instead never ended on a busy host, where every few rounds waits for a
     * core.)
     */
    static final int WARMUP_STEADY_ROUNDS = 6;
    static final double WARMUP_GAIN = 0.95;

    private Generator() {
    }

    /**
     * Runs throwaway decode steps through the same code as {@link #generate} (the session's decode, a sampler with
     * the same parameters but its own random stream, the streaming detokenizer) until the JIT has compiled that path:
     * the background kernel warm-up has ended and the last {@link #WARMUP_STEADY_ROUNDS} rounds of
     * {@link #WARMUP_ROUND} steps each did not beat the fastest round before them by 5 %, or {@code maxSeconds}
     * have passed. The session is reset and {@code sampler} is not touched, so the generation that
     * follows produces exactly what it would have without the warm-up.
     */
    public static WarmUp warmUp(LlamaSession session, Tokenizer tokenizer, int[] prompt, Sampler sampler,
                                double maxSeconds) {
        if (prompt.length == 0 || prompt.length >= session.capacity()) {
            throw new IllegalArgumentException("the warm-up needs a prompt of 1 to " + (session.capacity() - 1)
                    + " tokens, got " + prompt.length);
        }
        long start = System.nanoTime(), end = start + (long) (maxSeconds * 1e9);
        KernelWarmup.release();   // compile the vector kernels now: this warm-up waits for them anyway
        Sampler own = new Sampler(sampler.params());
        int vocab = Math.min(session.config().vocabSize(), tokenizer.vocabSize());
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        StopStrings stop = new StopStrings(List.of());
        session.reset();
        float[] logits = session.forwardLast(prompt);
        long best = Long.MAX_VALUE;
        int steps = 0, noGain = 0;
        while (System.nanoTime() < end) {
            boolean compiledBefore = KernelWarmup.finished();
            long r0 = System.nanoTime();
            for (int i = 0; i < WARMUP_ROUND; i++) {
                if (session.position() >= session.capacity()) {
                    session.reset();
                    logits = session.forwardLast(prompt);
                }
                int next = own.sample(logits, vocab);
                stop.accept(decoder.next(next));
                logits = session.decode(next);
            }
            long round = System.nanoTime() - r0;
            steps += WARMUP_ROUND;
            if (!compiledBefore) {
                continue;   // rounds on the scalar kernels (or while the switch happens) do not count
            }
            if (best == Long.MAX_VALUE || round < best * WARMUP_GAIN) {
                noGain = 0;
            } else if (++noGain >= WARMUP_STEADY_ROUNDS) {
                break;
            }
            best = Math.min(best, round);
        }
        session.reset();
        return new WarmUp((System.nanoTime() - start) / 1e9, steps, KernelWarmup.ready(),
                noGain >= WARMUP_STEADY_ROUNDS);
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
        return new Result(prompt.clone(), Arrays.copyOf(out, count), text.toString(), (t1 - t0) / 1e9,
                (t2 - t1) / 1e9, reason, compiling);
    }

    private static void emit(String piece, StringBuilder text, Consumer<String> onText) {
        if (!piece.isEmpty()) {
            text.append(piece);
            if (onText != null) {
                onText.accept(piece);
            }
        }
    }
}
