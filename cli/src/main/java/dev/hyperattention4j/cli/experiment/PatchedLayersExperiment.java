package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.hyper.CheckedAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.cli.Progress;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.reference.AttentionError;
import dev.hyperattention4j.reference.SpotCheck;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ha4j experiment patched-layers}: the paper's perplexity-and-speedup vs patched-layers figure. For each
 * context length and each L = 0 … layers, the last L layers use HyperAttention (prefill is causal) and the model's
 * perplexity is measured with llama.cpp's window protocol ({@link Perplexity#windows}) on the same token windows
 * as L = 0, together with the time spent in attention and end to end. Beyond the model's trained context only the
 * change against exact attention at the same length is meaningful, and the rows say so.
 */
@Command(name = "patched-layers", mixinStandardHelpOptions = true,
        description = {"Perplexity, its change against exact attention, and the attention and end-to-end speedups",
                "with the last L = 0..layers layers on HyperAttention. Writes patched-layers-<model>-<text>.json and a PNG",
                "per context to --out."})
public final class PatchedLayersExperiment extends Experiment {
    static final String NAME = "patched-layers";

    @Option(names = "--model", required = true, description = "model file or directory")
    Path model;

    @Option(names = "--text", required = true, description = "text file (e.g. ../shared/texts/war_and_peace.txt)")
    Path text;

    @Range(min = 4, max = 1 << 24)
    @Option(names = "--ctx", split = ",", description = "context lengths (default: the model's trained context)")
    int[] contexts;

    @Range(min = 1, max = 1L << 40)
    @Option(names = "--tokens", defaultValue = "65536", description = "tokens of text per context length: "
            + "windows = max(2, tokens/ctx), at most what the text holds (default ${DEFAULT-VALUE})")
    long tokenBudget;

    @Range(min = 1, max = Integer.MAX_VALUE)
    @Option(names = "--windows", description = "exact number of windows per context (overrides --tokens)")
    Integer windowsOverride;

    @Range(min = 0, max = 1024, note = "at most the model's layers")
    @Option(names = "--layers", split = ",", description = "values of L (default 0..layers)")
    int[] layerCounts;

    public record Settings(String model, String text, List<Integer> contexts, long tokens, Integer windows,
                           List<Integer> layers, String hyper, String exactKernel, long seed, int check, int threads) {}

    /**
     * One (context, L). {@code deltaNll} is the paired change of mean cross-entropy against L = 0 on the same
     * windows, with its standard error over windows; speedups are L = 0 time / this row's time.
     */
    public record Row(String key, String model, int ctx, int trainedCtx, boolean beyondTrainedCtx, int patchedLayers,
                      int layers, int windows, long tokensScored, double ppl, double pplStdErr, double pplBase2,
                      double meanNll, double deltaPpl, double deltaNll, double deltaNllStdErr, double attnSeconds,
                      double totalSeconds, double attnShare, double attnSpeedup, double e2eSpeedup, double checkError,
                      long checkRows, int block, int samples, int projections, int minSeqLen, String protocol,
                      List<Double> windowNll, Double checkErrorVsValues) {}

    @Override
    Integer execute() throws Exception {
        int threads = opts.threadCount();
        try (Model m = ModelText.open(model); WorkerPool pool = new WorkerPool(threads)) {
            int layers = m.config().layers();
            int trained = m.config().contextLength();
            int[] ctxs = contexts != null ? contexts : new int[] {trained};
            int[] ls = layerCounts != null ? layerCounts : java.util.stream.IntStream.rangeClosed(0, layers).toArray();
            if (Arrays.stream(ls).anyMatch(l -> l < 0 || l > layers)) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--layers values must be in [0, " + layers + "]");
            }
            if (Arrays.stream(ls).noneMatch(l -> l == 0)) {
                ls = java.util.stream.IntStream.concat(java.util.stream.IntStream.of(0), Arrays.stream(ls)).toArray();
            }
            Settings settings = new Settings(model.toString(), text.toString(), Arrays.stream(ctxs).boxed().toList(),
                    tokenBudget, windowsOverride, Arrays.stream(ls).boxed().toList(), hyperOptions.describeScaled(),
                    ModelText.exactAttention(m.config().headDim(), pool).name(), opts.seed, opts.check, threads);
            MachineInfo machine = MachineInfo.describe(threads, true);
            String name = fileName(model, text);
            long longest = Arrays.stream(ctxs).mapToLong(c -> (long) windows(c, Long.MAX_VALUE) * c).max().orElse(0);
            int[] tokens = ModelText.tokens(m, text, longest + 1);
            LlamaModel llama = LlamaModel.of(m);
            // time the compiled kernels: before they are, a short prompt's exact attention runs on the session's
            // scalar start-up path, which the timing wrapper around the exact kernel does not see
            LlamaModel.awaitKernelWarmup();
            try (ResultStore<Row> store = Experiments.start(opts, name, NAME, settings, machine, Row.class, Row::key,
                    spec)) {
                long total = 0, done = 0;
                for (int c : ctxs) {
                    long cost = (long) windows(c, tokens.length) * c;
                    for (int l : ls) {
                        total += cost;
                        done += store.has(key(c, l)) ? cost : 0;
                    }
                }
                try (Progress bar = Progress.start(NAME, total, done, opts.json)) {
                    for (int c : ctxs) {
                        int w = windows(c, tokens.length);
                        if (w == 0) {
                            throw new IllegalArgumentException(text + " has " + tokens.length + " tokens, fewer than "
                                    + "one window of " + c);
                        }
                        HyperConfig cfg = hyperOptions.scaledAt(c, opts.seed);
                        boolean warmed = false;
                        for (int l : ls) {
                            if (store.has(key(c, l))) {
                                continue;
                            }
                            if (!warmed) {   // JIT warm-up on one window of each path, not timed
                                run(llama, m, pool, tokens, c, 1, 0, cfg, null);
                                run(llama, m, pool, tokens, c, 1, layers, cfg, null);
                                warmed = true;
                            }
                            Row row = run(llama, m, pool, tokens, c, w, l, cfg,
                                    (i, n, ppl) -> bar.advance(c, "n=" + c + " L=" + key(c, l)));
                            store.add(withBaseline(row, store.get(key(c, 0)), displayName(model), trained));
                        }
                    }
                }
                store.complete();
                Experiments.print(opts, store.file(), table(store.rows()).render()
                        + (opts.check > 0 ? AttentionError.EXPLANATION + "\n" : ""));
                Experiments.report(opts, false);
            }
        }
        return 0;
    }

    private int windows(int ctx, long available) {
        int w = windowsOverride != null ? windowsOverride : (int) Math.max(2, tokenBudget / ctx);
        return (int) Math.min(w, Perplexity.windowCount((int) Math.min(Integer.MAX_VALUE, available), ctx));
    }

    static String key(int ctx, int l) {
        return ctx + "/" + l;
    }

    /** {@code patched-layers-<model>-<text>}, so several models and texts share one results directory. */
    static String fileName(Path model, Path text) {
        return NAME + "-" + displayName(model) + "-" + displayName(text);
    }

    /** The model's file or directory name without its extension ("stories260K", "tinystories-656k"). */
    static String displayName(Path model) {
        String n = ModelText.modelName(model);
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** One perplexity measurement with the last {@code l} layers patched. */
    private Row run(LlamaModel llama, Model m, WorkerPool pool, int[] tokens, int ctx, int windows, int l,
                    HyperConfig cfg, Perplexity.Progress progress) {
        TimedAttention exact = new TimedAttention(ModelText.exactAttention(m.config().headDim(), pool));
        List<TimedAttention> hypers = new ArrayList<>();
        SpotCheck.Tally tally = new SpotCheck.Tally();
        AttentionPlan plan = AttentionPlan.patchLast(exact, l, m.config().layers(), layer -> {
            TimedAttention h = new TimedAttention(new HyperAttention(cfg.withLayer(layer), pool));
            hypers.add(h);
            return opts.check > 0 ? new CheckedAttention(h, opts.check, opts.seed + 1000L * layer, tally) : h;
        });
        LlamaSession session = llama.newSession(ctx, plan, pool);
        double[] windowNll = new double[windows];
        double[] previous = {0};
        Perplexity.Result r = Perplexity.windows(session, tokens, ctx,
                m.tokenizer().addsBos() ? m.config().bosId() : -1, windows, (i, n, ppl) -> {
            double sum = i * Math.log(ppl);          // every window scores the same number of tokens
            windowNll[i - 1] = sum - previous[0];
            previous[0] = sum;
            if (progress != null) {
                progress.update(i, n, ppl);
            }
        });
        if (exact.calls() == 0 && l < m.config().layers()) {
            throw new IllegalStateException("the exact layers' attention time was not observed (the session ran its "
                    + "scalar start-up attention: the vector kernels did not compile in time on this host); run again "
                    + "on a less loaded machine");
        }
        double attn = exact.seconds() + hypers.stream().mapToDouble(TimedAttention::seconds).sum();
        return new Row(key(ctx, l), "", ctx, 0, false, l, m.config().layers(), windows, r.tokensScored(),
                r.perplexity(), r.standardError(), Math.pow(2, r.meanNll()), r.meanNll(), 0, 0, 0, attn, r.seconds(),
                attn / r.seconds(), 1, 1, tally.relError(), tally.rows(), cfg.blockSize(), cfg.sampleSize(),
                cfg.numProjections(), cfg.minSeqLen(), r.protocol(),
                Arrays.stream(windowNll).boxed().toList(), tally.error().vsValues());
    }

    /** Fills the columns measured against L = 0 of the same context (the row itself when it is L = 0). */
    private static Row withBaseline(Row r, Row base, String model, int trained) {
        Row b = base != null ? base : r;
        double[] d = new double[r.windows()];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.windowNll().get(i) - b.windowNll().get(i);
        }
        double mean = Arrays.stream(d).average().orElse(Double.NaN);
        double var = d.length > 1 ? Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / (d.length - 1) : Double.NaN;
        return new Row(r.key(), model, r.ctx(), trained, r.ctx() > trained, r.patchedLayers(), r.layers(), r.windows(),
                r.tokensScored(), r.ppl(), r.pplStdErr(), r.pplBase2(), r.meanNll(), r.ppl() - b.ppl(),
                r.meanNll() - b.meanNll(), Math.sqrt(var / d.length), r.attnSeconds(), r.totalSeconds(), r.attnShare(),
                b.attnSeconds() / r.attnSeconds(), b.totalSeconds() / r.totalSeconds(), r.checkError(), r.checkRows(),
                r.block(), r.samples(), r.projections(), r.minSeqLen(), r.protocol(), r.windowNll(),
                r.checkErrorVsValues());
    }

    static Table table(List<Row> rows) {
        Table t = new Table("model", "ctx", "L", "windows", "ppl", "Δppl vs L=0", "ΔCE ± se", "attn share",
                "attn speedup", "e2e speedup", "check err/‖O‖", "check err/‖V‖", "b/m/r/n0", "note");
        for (Row r : rows) {
            t.row(r.model(), r.ctx(), r.patchedLayers() + "/" + r.layers(), r.windows(),
                    Table.num(r.ppl(), 3) + " ± " + Table.num(r.pplStdErr(), 3), Table.signed(r.deltaPpl(), 4),
                    Table.signed(r.deltaNll(), 4) + " ± " + Table.num(r.deltaNllStdErr(), 4),
                    Table.num(100 * r.attnShare(), 0) + "%", Table.times(r.attnSpeedup()), Table.times(r.e2eSpeedup()),
                    Table.num(r.checkError(), 3), Table.num(r.checkErrorVsValues(), 3), r.block() + "/" + r.samples() + "/" + r.projections() + "/"
                            + r.minSeqLen(),
                    r.beyondTrainedCtx() ? "beyond trained ctx " + r.trainedCtx() + ": only Δ meaningful" : "");
        }
        return t;
    }
}
