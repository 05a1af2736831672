package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.runtime.HeapBudget;
import java.util.List;

/**
 * Perplexity of a model over a token stream, under one of two protocols (perplexities are only comparable under
 * the same protocol, so the result names its own):
 * <ul>
 *   <li>{@link #windows}: llama.cpp's {@code perplexity} tool. The tokens (BOS first) are cut into
 *       non-overlapping windows of {@code context} tokens; each window starts from an empty cache with its first
 *       token replaced by BOS, and only its second half is scored: logits at positions
 *       {@code [context/2, context-1)} predict the next token.</li>
 *   <li>{@link #sequences}: every predicted token of each sequence is scored (the per-story protocol of the shared
 *       models' golden values).</li>
 * </ul>
 * Perplexity is {@code exp(mean NLL)}; its standard error comes from the NLL's sample variance through the delta
 * method, {@code ppl · sqrt(var / (N - 1))}, as llama.cpp prints it.
 */
public final class Perplexity {
    /** Receives progress: windows or sequences done, their total, and the running perplexity. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total, double runningPerplexity);
    }

    /** One perplexity measurement. */
    public record Result(String protocol, double perplexity, double standardError, long tokensScored,
                         long tokensProcessed, double seconds, double meanNll, double cpuSeconds) {
        /** Tokens run through the model per second (prompt processing speed of the whole measurement). */
        public double tokensPerSecond() {
            return tokensProcessed / seconds;
        }

        /**
         * Tokens per second of the working threads' CPU time ({@code cpuSeconds}: the calling thread and the worker
         * pool's, not the JIT's) divided by {@code threads}: the rate with a core per thread, which a busy host does
         * not disturb (generate's and bench-model's "cpu estimate"). NaN where this JVM does not measure thread CPU.
         */
        public double tokensPerCpuSecond(int threads) {
            return cpuSeconds > 0 ? tokensProcessed / (cpuSeconds / threads) : Double.NaN;
        }
    }

    private Perplexity() {
    }

    public static String windowsProtocol(int context) {
        return "llama.cpp: non-overlapping windows of " + context + " tokens, BOS first, second half scored ("
                + (context - 1 - context / 2) + " tokens per window)";
    }

    /** Number of whole windows of {@code context} tokens in {@code tokens}. */
    public static int windowCount(int tokens, int context) {
        return tokens / context;
    }

    /** llama.cpp's protocol over {@code tokens} (which should start with BOS); the session holds {@code context}. */
    public static Result windows(LlamaSession session, int[] tokens, int context, int bos, int maxWindows,
                                 Progress progress) {
        if (context < 4 || context > session.capacity()) {
            throw new IllegalArgumentException("context " + context + " must be in [4, " + session.capacity() + "]");
        }
        int windows = windowCount(tokens.length, context);
        if (maxWindows > 0) {
            windows = Math.min(windows, maxWindows);
        }
        if (windows == 0) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one window of "
                    + context);
        }
        int first = context / 2;
        int stride = session.logitStride();
        HeapBudget.require((double) (context - first) * stride * Float.BYTES, "the logits of the " + (context - first)
                + " scored tokens of a " + context + "-token window", "lower the context");
        float[] logits = new float[(context - first) * stride];
        int[] window = new int[context];
        Accumulator acc = new Accumulator();
        long cpuStart = WorkingThreads.cpuNanos();
        long start = System.nanoTime();
        for (int w = 0; w < windows; w++) {
            System.arraycopy(tokens, w * context, window, 0, context);
            if (bos >= 0) {
                window[0] = bos;
            }
            session.reset();
            session.forward(window, 0, context, logits, first);
            for (int j = first; j < context - 1; j++) {
                acc.add(nll(logits, (j - first) * stride, session.config().vocabSize(), tokens[w * context + j + 1]));
            }
            if (progress != null) {
                progress.update(w + 1, windows, Math.exp(acc.mean()));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return acc.result(windowsProtocol(context), (long) windows * context, seconds, cpuStart);
    }

    /** Scores every predicted token of each sequence (each from an empty cache). */
    public static Result sequences(LlamaSession session, List<int[]> sequences, String protocol, Progress progress) {
        if (sequences.stream().noneMatch(seq -> seq.length >= 2)) { // a perplexity of no tokens would print NaN
            throw new IllegalArgumentException("no sequence has the 2 tokens needed to score one (" + sequences.size()
                    + " sequences)");
        }
        int stride = session.logitStride();
        Accumulator acc = new Accumulator();
        long processed = 0;
        long cpuStart = WorkingThreads.cpuNanos();
        long start = System.nanoTime();
        float[] logits = new float[0];
        for (int s = 0; s < sequences.size(); s++) {
            int[] seq = sequences.get(s);
            if (seq.length < 2) {
                continue;
            }
            if (seq.length > session.capacity()) {
                throw new IllegalArgumentException("sequence " + s + " has " + seq.length
                        + " tokens, more than the context " + session.capacity());
            }
            int n = seq.length - 1;   // the last token predicts nothing
            if (logits.length < n * stride) {
                logits = new float[n * stride];
            }
            session.reset();
            session.forward(seq, 0, n, logits, 0);
            for (int j = 0; j < n; j++) {
                acc.add(nll(logits, j * stride, session.config().vocabSize(), seq[j + 1]));
            }
            processed += n;
            if (progress != null) {
                progress.update(s + 1, sequences.size(), Math.exp(acc.mean()));
            }
        }
        return acc.result(protocol, processed, (System.nanoTime() - start) / 1e9, cpuStart);
    }

    /** Negative natural-log probability of {@code target} under {@code softmax(logits[off, off + vocab))}. */
    public static double nll(float[] logits, int off, int vocab, int target) {
        double nll = Vectors.logSumExp(logits, off, vocab) - logits[off + target];
        if (!Double.isFinite(nll)) { // a NaN perplexity after hours of scoring helps nobody: fail at the first one
            throw new ArithmeticException("non-finite logits (target " + logits[off + target] + ", nll " + nll
                    + "): the model produced NaN or infinity (corrupt weights, or overflow in the forward pass)");
        }
        return nll;
    }

    /** Running sums of NLL and NLL². */
    private static final class Accumulator {
        double sum, sumSq;
        long count;

        void add(double nll) {
            sum += nll;
            sumSq += nll * nll;
            count++;
        }

        double mean() {
            return count == 0 ? Double.NaN : sum / count;
        }

        /** The result; {@code cpuStart} is {@link WorkingThreads#cpuNanos()} at the start (-1: not measured). */
        Result result(String protocol, long processed, double seconds, long cpuStart) {
            long cpuEnd = WorkingThreads.cpuNanos();
            double cpu = cpuStart < 0 || cpuEnd < 0 ? Double.NaN : (cpuEnd - cpuStart) / 1e9;
            double mean = mean();
            double ppl = Math.exp(mean);
            double var = count > 1 ? Math.max(0, sumSq / count - mean * mean) : Double.NaN;
            double err = ppl * Math.sqrt(var / (count - 1));
            return new Result(protocol, ppl, err, count, processed, seconds, mean, cpu);
        }
    }
}
