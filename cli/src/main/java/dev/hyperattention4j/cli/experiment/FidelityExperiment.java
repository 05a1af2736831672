package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.cli.BenchHyperCommand;
import dev.hyperattention4j.cli.BenchInputs;
import dev.hyperattention4j.cli.MaskOption;
import dev.hyperattention4j.cli.Progress;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.reference.AttentionError;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ha4j experiment fidelity}: HyperAttention's relative error against exact attention as a function of b, m
 * and r, one parameter at a time around a base setting, on attention inputs captured from real models running over
 * real text (post-RoPE Q, K, V of chosen layers) and on synthetic inputs for comparison. Each point is the mean over
 * several seeds (different LSH projections and samples).
 */
@Command(name = "fidelity", mixinStandardHelpOptions = true,
        description = {"HyperAttention's error vs b, m and r on Q/K/V captured from real models over real text",
                "(and synthetic inputs). Writes fidelity.json and fidelity-{b,m,r}.png to --out."})
public final class FidelityExperiment extends Experiment {
    static final String NAME = "fidelity";

    @Option(names = "--model", split = ",", description = "model files or directories whose layers are captured")
    List<Path> models = new ArrayList<>();

    @Option(names = "--text", description = "text the models read (e.g. ../shared/texts/war_and_peace.txt)")
    Path text;

    @Range(min = -1, max = 1023, note = "-1 = the last layer")
    @Option(names = "--layers", split = ",", defaultValue = "-1",
            description = "layers to capture, -1 = the last (default ${DEFAULT-VALUE})")
    int[] layers;

    @Option(names = "--synthetic", split = ",", defaultValue = "clustered",
            description = "synthetic inputs too: random, clustered, or none (default ${DEFAULT-VALUE})")
    String[] synthetic;

    @Range(min = 1, max = 1024)
    @Option(names = "--synthetic-shape", split = ",", defaultValue = "4,64",
            description = "heads,head dim of the synthetic inputs (default ${DEFAULT-VALUE})")
    int[] syntheticShape;

    @Range(min = 1, max = 1 << 24)
    @Option(names = "-n", defaultValue = "4096", description = "sequence length (default ${DEFAULT-VALUE})")
    int n;

    @Mixin MaskOption maskOption;

    @Range(min = 1, max = 1 << 20)
    @Option(names = "--b-values", split = ",", defaultValue = "16,32,64,128,256,512")
    int[] bValues;

    @Range(min = 0, max = 1 << 20)
    @Option(names = "--m-values", split = ",", defaultValue = "0,16,32,64,128,256,512,1024")
    int[] mValues;

    @Range(min = 0, max = 16)
    @Option(names = "--r-values", split = ",", defaultValue = "0,1,2,4,7,10")
    int[] rValues;

    @Range(min = 1, max = 10_000)
    @Option(names = "--seeds", defaultValue = "3", description = "seeds per point (default ${DEFAULT-VALUE})")
    int seeds;

    public record Settings(List<String> models, String text, List<Integer> layers, List<String> synthetic,
                           List<Integer> syntheticShape, int n, String mask, List<Integer> bValues,
                           List<Integer> mValues, List<Integer> rValues, int seeds, String base, long seed) {}

    /**
     * One (source, mask, parameter value): the relative Frobenius error ‖Ô−O‖/‖O‖ (mean and standard deviation over
     * seeds) and the mean |L̂ − L| of the row log-normalisers.
     */
    public record Row(String key, String source, String kind, int layer, int n, int heads, int d, boolean causal,
                      String param, int value, int block, int samples, int projections, int minSeqLen,
                      double relError, double relErrorStd, double lseError, int seeds, double sinkMass,
                      Double errorVsValues) {}

    private record Source(String name, String kind, int layer, AttentionProblem problem) {}

    @Override
    Integer execute() throws Exception {
        boolean[] masks = maskOption.masks();
        if (!models.isEmpty() && text == null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--model needs --text: the model must read real text");
        }
        List<String> syn = Arrays.stream(synthetic).filter(s -> !s.equals("none")).toList();
        int threads = opts.threadCount();
        Settings settings = new Settings(models.stream().map(Path::toString).toList(),
                text == null ? null : text.toString(), Arrays.stream(layers).boxed().toList(), syn,
                Arrays.stream(syntheticShape).boxed().toList(), n, maskOption.mask,
                Arrays.stream(bValues).boxed().toList(),
                Arrays.stream(mValues).boxed().toList(), Arrays.stream(rValues).boxed().toList(), seeds,
                hyperOptions.describeScaled(), opts.seed);
        MachineInfo machine = MachineInfo.describe(threads, false);
        HyperConfig center = hyperOptions.scaledAt(n, opts.seed);
        try (ResultStore<Row> store = Experiments.start(opts, NAME, NAME, settings, machine, Row.class, Row::key, spec);
             WorkerPool pool = new WorkerPool(threads)) {
            List<Source> sources = sources(syn, pool);
            int perSource = masks.length * (bValues.length + mValues.length + rValues.length);
            long total = (long) sources.size() * perSource;
            try (Progress bar = Progress.start(NAME, total, store.resumedRows(), opts.json)) {
                for (Source s : sources) {
                    for (boolean causal : masks) {
                        AttentionProblem p = s.problem().withCausal(causal).withLogSumExp();
                        AttentionProblem exact = null;
                        for (String param : new String[] {"b", "m", "r"}) {
                            int[] values = param.equals("b") ? bValues : param.equals("m") ? mValues : rValues;
                            for (int value : values) {
                                String key = s.name() + "/" + (causal ? "causal" : "noncausal") + "/" + param + "="
                                        + value;
                                if (store.has(key)) {
                                    continue;
                                }
                                if (exact == null) {
                                    exact = p.withOutput(FloatTensor.zeros(1, p.queryHeads(), n, p.headDim()))
                                            .withLogSumExp();
                                    new FlashAttention(pool).forward(exact);
                                }
                                HyperConfig cfg = switch (param) {
                                    case "b" -> center.withBlockSize(value);
                                    case "m" -> center.withSampleSize(value);
                                    default -> center.withNumProjections(value);
                                };
                                store.add(measure(key, s, causal, param, value, cfg, p, exact, pool));
                                bar.advance(1, key);
                            }
                        }
                    }
                }
            }
            store.complete();
            Experiments.print(opts, store.file(), table(store.rows()).render() + AttentionError.EXPLANATION + "\n");
            Experiments.report(opts, false);
        }
        return 0;
    }

    private List<Source> sources(List<String> syn, WorkerPool pool) throws Exception {
        List<Source> out = new ArrayList<>();
        for (Path modelPath : models) {
            try (Model model = ModelText.open(modelPath)) {
                int[] all = ModelText.tokens(model, text, n);
                if (all.length < n) {
                    throw new IllegalArgumentException(text + " has " + all.length + " tokens for " + modelPath
                            + ", fewer than n = " + n);
                }
                int[] tokens = Arrays.copyOf(all, n);
                for (int l : layers) {
                    int layer = l < 0 ? model.config().layers() + l : l;
                    out.add(new Source(PatchedLayersExperiment.displayName(modelPath) + " L" + layer, "model", layer,
                            LayerCapture.capture(model, layer, tokens, pool)));
                }
            }
        }
        for (String kind : syn) {
            FloatTensor[] x = BenchInputs.valueOf(kind.toUpperCase(Locale.ROOT))
                    .make(syntheticShape[0], n, syntheticShape[1], opts.seed + n);
            out.add(new Source(kind, "synthetic", -1, AttentionProblem.of(x[0], x[1], x[2])));
        }
        return out;
    }

    private Row measure(String key, Source s, boolean causal, String param, int value, HyperConfig cfg,
                        AttentionProblem p, AttentionProblem exact, WorkerPool pool) {
        double[] err = new double[seeds];
        double lse = 0, vsValues = 0;
        for (int i = 0; i < seeds; i++) {
            AttentionProblem hp = p.withOutput(FloatTensor.zeros(1, p.queryHeads(), n, p.headDim())).withLogSumExp();
            new HyperAttention(cfg.withSeed(opts.seed * 1000 + i), pool).forward(hp);
            AttentionError e = AttentionError.of(hp.output(), exact.output(), p.value());
            err[i] = e.vsOutput();
            vsValues += e.vsValues() / seeds;
            double sum = 0;
            for (int j = 0; j < hp.logSumExp().length; j++) {
                sum += Math.abs(hp.logSumExp()[j] - exact.logSumExp()[j]);
            }
            lse += sum / hp.logSumExp().length / seeds;
        }
        double mean = Arrays.stream(err).average().orElse(Double.NaN);
        double var = Arrays.stream(err).map(e -> (e - mean) * (e - mean)).sum() / Math.max(1, seeds - 1);
        return new Row(key, s.name(), s.kind(), s.layer(), n, p.queryHeads(), p.headDim(), causal, param, value,
                cfg.blockSize(), cfg.sampleSize(), cfg.numProjections(), cfg.minSeqLen(), mean, Math.sqrt(var), lse,
                seeds, sinkMass(exact), vsValues);
    }

    /**
     * Mean exact attention weight on key 0 (the BOS token for model inputs): trained Llama models park much of
     * their attention there (an "attention sink"), a single key that sortLSH blocks rarely contain and uniform
     * sampling finds with probability about m/n.
     */
    static double sinkMass(AttentionProblem exact) {
        int d = exact.headDim(), g = exact.groupSize(), n = exact.queryLength();
        float[] q = new float[d], k = new float[d];
        double sum = 0;
        for (int h = 0; h < exact.queryHeads(); h++) {
            exact.key().readRow(0, h / g, 0, k, 0);
            for (int i = 0; i < n; i++) {
                exact.query().readRow(0, h, i, q, 0);
                double s = 0;
                for (int c = 0; c < d; c++) {
                    s += (double) q[c] * k[c];
                }
                sum += Math.exp(s * exact.scale() - exact.logSumExp()[exact.lseIndex(0, h, i)]);
            }
        }
        return sum / ((double) n * exact.queryHeads());
    }

    static Table table(List<Row> rows) {
        Table t = new Table("source", "mask", "n", "heads×d", "param", "b", "m", "r", "err/‖O‖", "± sd", "err/‖V‖",
                "mean |ΔL|", "mass on key 0");
        for (Row r : rows) {
            t.row(r.source(), r.causal() ? "causal" : "non-causal", r.n(), r.heads() + "×" + r.d(), r.param(),
                    r.block(), r.samples(), r.projections(), Table.num(r.relError(), 4), Table.num(r.relErrorStd(), 4),
                    Table.num(r.errorVsValues(), 4), Table.num(r.lseError(), 4), Table.num(r.sinkMass(), 3));
        }
        return t;
    }

    /** One chart per parameter: error vs its value, a series per (source, mask). */
    static Map<String, XYChart> plots(List<Row> rows) {
        Map<String, XYChart> charts = new LinkedHashMap<>();
        for (String param : new String[] {"b", "m", "r"}) {
            String what = switch (param) {
                case "b" -> "block size b";
                case "m" -> "sampled keys m";
                default -> "LSH projections r";
            };
            XYChart chart = Charts.chart("HyperAttention error vs " + what + " (n = " + (rows.isEmpty() ? "?"
                            : rows.getFirst().n()) + ")", what + (param.equals("r") ? "" : " (log)"),
                    "relative error ‖Ô−O‖/‖O‖");
            chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
            if (!param.equals("r")) {
                chart.getStyler().setXAxisLogarithmic(true);
            }
            Map<String, List<Row>> series = new LinkedHashMap<>();
            for (Row r : rows) {
                if (r.param().equals(param) && (param.equals("r") || r.value() > 0)) {
                    series.computeIfAbsent(r.source() + ", " + (r.causal() ? "causal" : "non-causal"),
                            k -> new ArrayList<>()).add(r);
                }
            }
            for (Map.Entry<String, List<Row>> e : series.entrySet()) {
                double[][] xy = Charts.finite(e.getValue().stream().mapToDouble(Row::value).toArray(),
                        e.getValue().stream().mapToDouble(Row::relError).toArray());
                if (xy[0].length > 0) {
                    chart.addSeries(e.getKey(), xy[0], xy[1]);
                }
            }
            if (!series.isEmpty()) {
                charts.put(NAME + "-" + param + ".png", chart);
            }
        }
        return charts;
    }
}
