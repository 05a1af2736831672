package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.JitActivity;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.llm.runtime.Stories;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ha4j ppl}: perplexity of a model over a text file. */
@Command(name = "ppl", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity over a text file.",
                "Default protocol (llama.cpp's): the text is tokenised with BOS first and cut into non-overlapping "
                        + "windows of --context tokens; each window starts from an empty cache with BOS in front, "
                        + "and only its second half is scored.",
                "--stories: the per-story protocol of the shared models' golden values: split on <|endoftext|>, "
                        + "strip, curly quotes to ASCII; each story is BOS, the tokenizer's dummy prefix as its own "
                        + "token, then each line encoded on its own (no merge across a newline, no dummy prefix), "
                        + "the lines joined by the newline token; capped at --context; every predicted token scored.",
                "With --patch-last L the last L layers use HyperAttention during prefill; --compare also runs exact "
                        + "attention and reports the difference."})
public final class PplCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AttentionOptions attention;

    @Option(names = {"-f", "--text", "--file"}, required = true, paramLabel = "TEXT", description = "UTF-8 text file.")
    Path file;

    @Range(min = 4, max = 1 << 24)
    @Option(names = {"-c", "--context"}, paramLabel = "N",
            description = "Window length in tokens (default: ${DEFAULT-VALUE}).")
    int context = 512;

    @Range(min = 0, max = Integer.MAX_VALUE, note = "0 = all")
    @Option(names = "--chunks", paramLabel = "K", description = "Score at most K windows (0 = all; default).")
    int chunks = 0;

    @Option(names = "--stories", description = "Per-story protocol instead of windows (stories capped at --context).")
    boolean stories;

    @Option(names = "--compare", description = "Also run exact attention in every layer and report the difference.")
    boolean compare;

    /** Which run of --compare goes first. */
    enum Order { patched, exact }

    @Option(names = "--compare-order", paramLabel = "FIRST",
            description = "With --compare: which run goes first, patched or exact (default: ${DEFAULT-VALUE}).")
    Order order = Order.patched;

    @Range(min = 0, max = 100)
    @Option(names = "--warmup", paramLabel = "W",
            description = "Unmeasured windows (stories with --stories) run through every attention plan in turn "
                    + "before the timed runs, at least W and at least 2 s of CPU time, so the JIT has compiled the "
                    + "kernels and the speeds are steady and comparable in either order; 0 = none, the first run's "
                    + "speed then includes the compilation (default: 1 with --compare, else 0).")
    Integer warmup;

    @Option(names = "--json", description = "Print one JSON document instead of the text report.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (context < 4) {
            throw new IllegalArgumentException("--context must be >= 4, got " + context);
        }
        warmupWindows();   // validated before any work
        String text = TextFile.read(file, "-f/--file");
        try (Model m = modelOptions.open(); WorkerPool pool = modelOptions.pool()) {
            ModelConfig c = m.config();
            attention.validate(c);
            modelOptions.requireContext(c, context, "-c/--context");
            LlamaModel model = LlamaModel.of(m);
            Tokenizer tok = m.tokenizer();
            List<int[]> seqs = null;
            int[] tokens = null;
            if (stories) {
                seqs = Stories.encode(text, tok, context);
                if (seqs.stream().noneMatch(seq -> seq.length >= 2)) {
                    throw new IllegalArgumentException("-f/--file " + file + ": holds no story of at least 2 tokens "
                            + "(stories are separated by " + Stories.SEPARATOR + "); there is nothing to score");
                }
            } else {
                tokens = tokenize(text, tok, chunks > 0 ? (long) chunks * context + 1 : Long.MAX_VALUE);
                if (Perplexity.windowCount(tokens.length, context) == 0) {
                    throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one "
                            + "window of --context " + context);
                }
            }
            List<AttentionPlan> plans = new ArrayList<>(List.of(attention.plan(pool, c)));
            if (compare && attention.patchLast > 0) {
                plans.add(order == Order.exact ? 0 : 1, attention.exactPlan(pool, c));
            }
            int warm = warmupWindows();
            if (warm > 0) {
                LlamaModel.awaitKernelWarmup();
                // W windows through each plan in turn, unmeasured, and more until WARMUP_CPU_SECONDS of process CPU
                // time have passed and the JIT has gone quiet: C2 kept compiling for seconds after the first window,
                // and its thread took a core from whichever run came first (speed-ups 0.56-0.86x with the patched run
                // first against 0.85-1.15x with the exact one first, where the CPU-time speed-ups agreed, 0.97-1.12x).
                // CPU time, not wall time, so a busy host does not end it early; at most WARMUP_MAX_CPU_SECONDS.
                double cpu0 = GenerateCommand.processCpuSeconds();
                List<AttentionPlan> warmPlans = warmupPlans(pool, c);
                JitActivity jit = new JitActivity(WARMUP_QUIET_ROUNDS, WARMUP_QUIET_NANOS);
                for (int i = 0; i < 1000; i++) {
                    double spent = GenerateCommand.processCpuSeconds() - cpu0;
                    if (i >= warm && (spent >= WARMUP_CPU_SECONDS && jit.quiet() || spent >= WARMUP_MAX_CPU_SECONDS)) {
                        break;
                    }
                    jit.roundStarts();
                    for (AttentionPlan plan : warmPlans) {
                        warm(model, plan, pool, tokens, seqs, tok, i);
                    }
                    jit.roundEnds();
                }
            }
            List<Run> runs = new ArrayList<>();
            for (AttentionPlan plan : plans) {
                runs.add(run(model, plan, pool, tokens, seqs, tok));
            }
            report(m, c, pool, runs, tokens, seqs, warm);
        }
        return 0;
    }

    record Run(String attention, Perplexity.Result result) {
    }

    /** Process CPU time the warm-up lasts at least (bench-model's default warm-up). */
    static final double WARMUP_CPU_SECONDS = 2.0;
    /** ... and at most, if the JIT does not go quiet before. */
    static final double WARMUP_MAX_CPU_SECONDS = 12.0;
    /** Quiet JIT: no compilation ended during this many warm-up rounds in a row, lasting at least this long. */
    static final int WARMUP_QUIET_ROUNDS = 2;
    static final long WARMUP_QUIET_NANOS = 300_000_000L;

    int warmupWindows() {
        int w = warmup != null ? warmup : compare && attention.patchLast > 0 ? 1 : 0;
        if (w < 0 || w > 100) {
            throw new IllegalArgumentException("--warmup must be in [0, 100] windows, got " + w);
        }
        return w;
    }

    /**
     * Fresh plans for the warm-up, in the order of the timed runs: HyperAttention's sampling state then does not
     * carry over into the timed runs (the perplexity does not depend on --warmup), and --check does not count the
     * warm-up's calls.
     */
    private List<AttentionPlan> warmupPlans(WorkerPool pool, ModelConfig c) {
        int check = attention.check;
        attention.check = 0;
        try {
            List<AttentionPlan> plans = new ArrayList<>(List.of(attention.plan(pool, c)));
            if (compare && attention.patchLast > 0) {
                plans.add(order == Order.exact ? 0 : 1, attention.exactPlan(pool, c));
            }
            return plans;
        } finally {
            attention.check = check;
        }
    }

    /** Window (or story) i, wrapped around, through the plan; nothing is kept. */
    private void warm(LlamaModel model, AttentionPlan plan, WorkerPool pool, int[] tokens, List<int[]> seqs,
                      Tokenizer tok, int i) {
        LlamaSession session = model.newSession(context, plan, pool);
        if (seqs != null) {
            Perplexity.sequences(session, List.of(seqs.get(i % seqs.size())), Stories.protocol(context), null);
        } else {
            int windows = limit(Perplexity.windowCount(tokens.length, context));
            int from = (i % windows) * context;
            Perplexity.windows(session, java.util.Arrays.copyOfRange(tokens, from, from + context), context,
                    tok.addsBos() ? tok.bosId() : -1, 1, null);
        }
    }

    private Run run(LlamaModel model, AttentionPlan plan, WorkerPool pool, int[] tokens, List<int[]> seqs,
                    Tokenizer tok) {
        LlamaSession session = model.newSession(context, plan, pool);
        int total = seqs != null ? seqs.size() : limit(Perplexity.windowCount(tokens.length, context));
        try (Progress bar = Progress.start("ppl", total, json)) {
            Perplexity.Progress p = (done, all, running) -> bar.step(done, String.format("ppl %.4f", running));
            Perplexity.Result r = seqs != null
                    ? Perplexity.sequences(session, seqs, Stories.protocol(context), p)
                    : Perplexity.windows(session, tokens, context,
                            tok.addsBos() ? tok.bosId() : -1, chunks, p);
            return new Run(plan.describe(), r);
        }
    }

    private int limit(int windows) {
        return chunks > 0 ? Math.min(chunks, windows) : windows;
    }

    /** Tokens of the text (BOS first); with a cap, only a prefix of the text is tokenised. */
    static int[] tokenize(String text, Tokenizer tok, long needed) {
        if (needed == Long.MAX_VALUE) {
            return tok.encode(text, true);
        }
        long chars = Math.max(4096, needed * 6);
        while (true) {
            String prefix = chars >= text.length() ? text : text.substring(0, (int) chars);
            int[] ids = tok.encode(prefix, true);
            if (ids.length >= needed || prefix.length() == text.length()) {
                return ids;
            }
            chars *= 2;
        }
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private void report(Model m, ModelConfig c, WorkerPool pool, List<Run> runs, int[] tokens, List<int[]> seqs,
                        int warm) throws Exception {
        String note = context > c.contextLength()
                ? "context " + context + " exceeds the model's trained context " + c.contextLength()
                        + ": absolute perplexity is not meaningful here, only the change against exact attention is"
                : null;
        Perplexity.Result first = runs.getFirst().result();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", modelOptions.modelName());
            doc.put("format", c.format());
            doc.put("threads", pool.threads());
            doc.put("file", file.toString());
            doc.put("context", context);
            doc.put("protocol", first.protocol());
            List<Map<String, Object>> rs = new ArrayList<>();
            for (Run r : runs) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("attention", r.attention());
                e.put("perplexity", r.result().perplexity());
                e.put("standard_error", r.result().standardError());
                e.put("tokens_scored", r.result().tokensScored());
                e.put("tokens_processed", r.result().tokensProcessed());
                e.put("seconds", r.result().seconds());
                e.put("tokens_per_second", r.result().tokensPerSecond());
                e.put("tokens_per_cpu_second_estimate", finiteOrNull(r.result().tokensPerCpuSecond(pool.threads())));
                rs.add(e);
            }
            doc.put("runs", rs);
            doc.put("warmup_windows", warm);
            if (runs.size() == 2) {
                Perplexity.Result patched = runs.get(order == Order.exact ? 1 : 0).result();
                Perplexity.Result exact = runs.get(order == Order.exact ? 0 : 1).result();
                doc.put("first_run", order == Order.exact ? "exact" : "patched");
                doc.put("difference", patched.perplexity() - exact.perplexity());
                doc.put("relative_difference", patched.perplexity() / exact.perplexity() - 1);
                doc.put("speedup", patched.tokensPerSecond() / exact.tokensPerSecond());
                doc.put("speedup_cpu_estimate", finiteOrNull(patched.tokensPerCpuSecond(pool.threads())
                        / exact.tokensPerCpuSecond(pool.threads())));
            }
            if (attention.patchLast > 0) {
                doc.put("hyper_settings", attention.hyperSettings());
            }
            if (attention.check > 0 && attention.checkTally.rows() > 0) {
                doc.put("check_rows", attention.checkTally.rows());
                doc.put("check_rel_error", attention.checkTally.relError());
                doc.put("check_max_row_error", attention.checkTally.maxRowError());
                doc.put("check_error_vs_values", attention.checkTally.error().vsValues());
                doc.put("check_worst_row_vs_values", attention.checkTally.error().worstRowVsValues());
            }
            if (note != null) {
                doc.put("note", note);
            }
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            return;
        }
        System.out.printf("model:    %s (%s, %d layers, dim %d, vocab %d), %d threads%n", modelOptions.modelName(),
                c.format(), c.layers(), c.dim(), c.vocabSize(), pool.threads());
        System.out.printf("text:     %s, %s%n", file, seqs != null ? seqs.size() + " stories"
                : tokens.length + " tokens, " + limit(Perplexity.windowCount(tokens.length, context)) + " windows");
        System.out.printf("protocol: %s%n", first.protocol());
        if (attention.patchLast > 0) {
            System.out.printf("hyper:    %s%n", attention.hyperSettings());
        }
        for (Run r : runs) {
            Perplexity.Result x = r.result();
            double cpuRate = x.tokensPerCpuSecond(pool.threads());
            System.out.printf("%-60s ppl = %.4f +/- %.4f   tokens scored %d   %.0f tokens/s%s%n", r.attention(),
                    x.perplexity(), x.standardError(), x.tokensScored(), x.tokensPerSecond(),
                    Double.isFinite(cpuRate) ? String.format(" (cpu estimate %.0f)", cpuRate) : "");
        }
        System.out.println(warm > 0 ? "speed:    steady, after " + warm + " unmeasured warm-up window(s) per attention"
                : "speed:    the first run's includes the JIT compiling the kernels (see --warmup)");
        if (runs.size() == 2) {
            Run patched = runs.get(order == Order.exact ? 1 : 0), exact = runs.get(order == Order.exact ? 0 : 1);
            double a = patched.result().perplexity(), b = exact.result().perplexity();
            double cpuSpeedup = patched.result().tokensPerCpuSecond(pool.threads())
                    / exact.result().tokensPerCpuSecond(pool.threads());
            System.out.printf("difference (patched - exact): %+.4f (%+.3f%%); speed-up %.2fx%s (%s run first)%n", a - b,
                    100 * (a / b - 1), patched.result().tokensPerSecond() / exact.result().tokensPerSecond(),
                    Double.isFinite(cpuSpeedup) ? String.format(", by CPU time %.2fx", cpuSpeedup) : "",
                    order == Order.exact ? "exact" : "patched");
        }
        if (attention.check > 0 && attention.checkTally.rows() > 0) {
            dev.hyperattention4j.reference.AttentionError e = attention.checkTally.error();
            System.out.printf("check:    error over %d exactly recomputed rows of %d HyperAttention calls: err/‖O‖ %.4f "
                            + "(worst row %.4f), err/‖V‖ %.4f (worst row %.4f)%n          %s%n",
                    attention.checkTally.rows(), attention.checkTally.calls(), e.vsOutput(),
                    attention.checkTally.maxRowError(), e.vsValues(), e.worstRowVsValues(),
                    dev.hyperattention4j.reference.AttentionError.EXPLANATION);
        }
        if (note != null) {
            System.out.println("note:     " + note);
        }
    }
}
