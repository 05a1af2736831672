package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.attention.TrainableFlashAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.attention.hyper.TrainableHyperAttention;
import dev.hyperattention4j.cli.BenchHyperCommand;
import dev.hyperattention4j.cli.BenchInputs;
import dev.hyperattention4j.cli.MaskOption;
import dev.hyperattention4j.cli.Progress;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.reference.AttentionError;
import dev.hyperattention4j.reference.SpotCheck;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ha4j experiment single-layer}: the paper's single-layer speed figure. For each n, mask and mode (forward,
 * forward+backward), the exact kernel and HyperAttention run on the same inputs in the same JVM; the row holds both
 * times, the speedup and HyperAttention's error. Above {@code --exact-max-n} the exact time is extrapolated
 * quadratically from the largest measured n (marked in the row) so that the long end of the curve stays affordable.
 */
@Command(name = "single-layer", mixinStandardHelpOptions = true,
        description = {"The paper's single-layer speed figure: exact vs HyperAttention, forward and forward+backward,",
                "causal and not, n up to 131072. Writes single-layer.json/.png to --out and updates RESULTS.md."})
public final class SingleLayerExperiment extends Experiment {
    static final String NAME = "single-layer";

    @Range(min = 1, max = 1 << 24)
    @Option(names = {"--sizes", "--n"}, split = ",", defaultValue = "4096,8192,16384,32768,65536,131072",
            description = "sequence lengths (default ${DEFAULT-VALUE})")
    int[] sizes;

    @Range(min = 1, max = 1024)
    @Option(names = {"--dim", "--dims"}, defaultValue = "64", description = "head dim, one (default ${DEFAULT-VALUE})")
    int dim;

    @Range(min = 1, max = 1024)
    @Option(names = "--heads", defaultValue = "1", description = "heads per call (the paper uses 12-32; "
            + "default ${DEFAULT-VALUE})")
    int heads;

    @Mixin MaskOption maskOption;

    @Option(names = "--modes", split = ",", defaultValue = "forward,backward",
            description = "forward and/or backward (= forward+backward) (default ${DEFAULT-VALUE})")
    String[] modes;

    @Option(names = "--input", defaultValue = "random", description = "random or clustered (default ${DEFAULT-VALUE})")
    String input;

    @Range(min = 1, max = 10_000)
    @Option(names = {"-r", "--reps"}, defaultValue = "3", description = "repetitions, median (default ${DEFAULT-VALUE}); "
            + "a point longer than 2 s runs once")
    int reps;

    @Range(min = 0, max = 1 << 24)
    @Option(names = "--exact-max-n", defaultValue = "0", description = "extrapolate the exact time above this n "
            + "(quadratic in n; 0 = always measure)")
    int exactMaxN;

    /** What the results depend on (a resumed run must match). */
    public record Settings(List<Integer> sizes, int dim, int heads, String mask, List<String> modes, String input,
                           int reps, int exactMaxN, String hyper, long seed, int threads) {}

    /**
     * One point. {@code relError} is the relative Frobenius error of HyperAttention's forward output against the
     * exact output (or against exactly recomputed random rows when the exact run was extrapolated),
     * {@code errorVsValues} the same error on the scale of V's rows ({@link AttentionError}; null in results written
     * before it was recorded).
     */
    public record Row(String key, int n, int d, int heads, boolean causal, String mode, double exactSeconds,
                      boolean exactExtrapolated, double hyperSeconds, double speedup, double relError,
                      String errorKind, double checkError, int block, int samples, int projections, int minSeqLen,
                      String note, Double errorVsValues) {}

    @Override
    Integer execute() throws Exception {
        boolean[] masks = maskOption.masks();
        for (String m : modes) {
            if (!m.equals("forward") && !m.equals("backward")) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--modes takes forward and/or backward, got " + m);
            }
        }
        BenchInputs kind = BenchInputs.valueOf(input.toUpperCase(Locale.ROOT));
        int threads = opts.threadCount();
        Settings settings = new Settings(java.util.Arrays.stream(sizes).boxed().toList(), dim, heads,
                maskOption.mask, List.of(modes), input, reps, exactMaxN, hyperOptions.describeScaled(), opts.seed, threads);
        MachineInfo machine = MachineInfo.describe(threads, true);
        List<Point> points = new ArrayList<>();
        for (String mode : modes) {
            for (boolean causal : masks) {
                for (int n : sizes) {
                    points.add(new Point(n, causal, mode));
                }
            }
        }
        try (ResultStore<Row> store = Experiments.start(opts, NAME, NAME, settings, machine, Row.class, Row::key, spec);
             WorkerPool pool = new WorkerPool(threads)) {
            long total = points.stream().mapToLong(Point::cost).sum();
            long done = points.stream().filter(p -> store.has(p.key())).mapToLong(Point::cost).sum();
            Map<Integer, FloatTensor[]> inputs = new LinkedHashMap<>();
            if (done < total) {
                warmUp(pool);
            }
            try (Progress bar = Progress.start(NAME, total, done, opts.json)) {
                for (Point p : points) {
                    if (store.has(p.key())) {
                        continue;
                    }
                    if (!inputs.containsKey(p.n)) {
                        inputs.clear();   // one size in memory at a time
                        inputs.put(p.n, kind.make(heads, p.n, dim, opts.seed + p.n));
                    }
                    FloatTensor[] x = inputs.get(p.n);
                    Row row = measure(p, x, pool, store);
                    store.add(row);
                    bar.advance(p.cost(), p.key() + " " + Table.times(row.speedup()));
                }
            }
            store.complete();
            List<Row> rows = store.rows();
            Experiments.print(opts, store.file(), table(rows).render() + AttentionError.EXPLANATION + "\n");
            Experiments.report(opts, false);
        }
        return 0;
    }

    private record Point(int n, boolean causal, String mode) {
        String key() {
            return mode + "/" + (causal ? "causal" : "noncausal") + "/" + n;
        }

        long cost() {
            double flops = (double) n * n * (causal ? 0.5 : 1) * (mode.equals("backward") ? 3.5 : 1);
            return Math.max(1, (long) (flops / 1e6));
        }
    }

    /** JIT warm-up of every timed path on a small problem, so the first point is not measured cold. */
    private void warmUp(WorkerPool pool) {
        int n = Math.min(4096, java.util.Arrays.stream(sizes).min().orElse(4096));
        FloatTensor[] x = BenchInputs.RANDOM.make(heads, n, dim, opts.seed);
        TrainableFlashAttention exact = new TrainableFlashAttention(pool);
        HyperConfig cfg = hyperOptions.scaledAt(n, opts.seed).withMinSeqLen(Math.max(1, n / 4));
        HyperAttention hyper = new HyperAttention(cfg, pool);
        TrainableHyperAttention trainableHyper = new TrainableHyperAttention(cfg, pool);
        for (boolean causal : new boolean[] {false, true}) {
            AttentionProblem p = AttentionProblem.of(x[0], x[1], x[2]).withCausal(causal);
            for (int i = 0; i < 2; i++) {
                hyper.forward(p);
                trainableHyper.backward(trainableHyper.forward(p, true), x[2]);
                exact.backward(exact.forward(p, true), x[2]);
            }
        }
    }

    private Row measure(Point pt, FloatTensor[] x, WorkerPool pool, ResultStore<Row> store) {
        HyperConfig cfg = hyperOptions.scaledAt(pt.n, opts.seed).withMinSeqLen(minSeqLen(pt.n));
        boolean backward = pt.mode.equals("backward");
        HyperAttention hyper = new HyperAttention(cfg, pool);
        TrainableFlashAttention exact = new TrainableFlashAttention(pool);
        FloatTensor q = x[0], k = x[1], v = x[2];
        FloatTensor dOut = backward ? BenchInputs.RANDOM.make(heads, pt.n, dim, opts.seed + 7)[0] : null;
        AttentionProblem hp = AttentionProblem.of(q, k, v).withCausal(pt.causal);
        String note = "";
        double hyperSec;
        if (!backward) {
            hyperSec = Experiments.time(() -> hyper.forward(hp), reps, true);
        } else {
            TrainableAttention trainable = new TrainableHyperAttention(cfg, pool);
            hyperSec = Experiments.time(() -> trainable.backward(trainable.forward(hp, true), dOut), reps, true);
        }
        boolean extrapolate = exactMaxN > 0 && pt.n > exactMaxN;
        double exactSec;
        AttentionError err;
        String errKind = "full";
        if (!extrapolate) {
            AttentionProblem ep = AttentionProblem.of(q, k, v).withCausal(pt.causal);
            exactSec = backward
                    ? Experiments.time(() -> {
                        BackwardContext c = exact.forward(ep, true);
                        exact.backward(c, dOut);
                    }, reps, false)
                    : Experiments.time(() -> exact.forward(ep), reps, false);
            err = AttentionError.of(hp.output(), ep.output(), v);
        } else {
            exactSec = extrapolated(store, pt);
            errKind = "spot";
            err = SpotCheck.measure(hp, Math.max(256, opts.check), opts.seed).error();
            note = (note.isEmpty() ? "" : note + "; ") + "exact time extrapolated as n² from n = " + largestMeasured(pt);
        }
        double check = opts.check > 0 ? SpotCheck.measure(hp, opts.check, opts.seed + 1).relError() : Double.NaN;
        return new Row(pt.key(), pt.n, dim, heads, pt.causal, backward ? "forward+backward" : "forward", exactSec,
                extrapolate, hyperSec, exactSec / hyperSec, err.vsOutput(), errKind, check, cfg.blockSize(),
                cfg.sampleSize(), cfg.numProjections(), cfg.minSeqLen(), note, err.vsValues());
    }

    /** The paper's minSeqLen (4096) unless set: the single-layer figure uses fixed b, m and minSeqLen. */
    private int minSeqLen(int n) {
        return hyperOptions.minSeqLen != null ? hyperOptions.minSeqLen : 4096;
    }

    private int largestMeasured(Point pt) {
        int best = 0;
        for (int n : sizes) {
            if (n <= exactMaxN && n > best) {
                best = n;
            }
        }
        return best;
    }

    private double extrapolated(ResultStore<Row> store, Point pt) {
        int n0 = largestMeasured(pt);
        Row base = store.get(new Point(n0, pt.causal, pt.mode).key());
        if (base == null) {
            return Double.NaN;
        }
        double r = (double) pt.n / n0;
        return base.exactSeconds() * r * r;
    }

    static Table table(List<Row> rows) {
        Table t = new Table("mode", "mask", "n", "d", "heads", "exact s", "hyper s", "speedup", "err/‖O‖", "err/‖V‖",
                "note");
        for (Row r : rows) {
            t.row(r.mode(), r.causal() ? "causal" : "non-causal", r.n(), r.d(), r.heads(),
                    Table.num(r.exactSeconds(), 3) + (r.exactExtrapolated() ? "*" : ""), Table.num(r.hyperSeconds(), 3),
                    Table.times(r.speedup()), Table.num(r.relError(), 3) + (r.errorKind().equals("spot") ? " (spot)" : ""),
                    Table.num(r.errorVsValues(), 3), r.note());
        }
        return t;
    }

    static XYChart plot(List<Row> rows) {
        XYChart chart = Charts.chart("Single attention layer: speedup of HyperAttention over exact",
                "sequence length n", "speedup (exact time / HyperAttention time)");
        chart.getStyler().setXAxisLogarithmic(true);
        Map<String, List<Row>> series = new LinkedHashMap<>();
        for (Row r : rows) {
            series.computeIfAbsent(r.mode() + ", " + (r.causal() ? "causal" : "non-causal"), k -> new ArrayList<>())
                    .add(r);
        }
        for (Map.Entry<String, List<Row>> e : series.entrySet()) {
            double[][] xy = Charts.finite(e.getValue().stream().mapToDouble(Row::n).toArray(),
                    e.getValue().stream().mapToDouble(Row::speedup).toArray());
            if (xy[0].length > 0) {
                chart.addSeries(e.getKey(), xy[0], xy[1]);
            }
        }
        return chart;
    }

    static Path png(Path out) {
        return out.resolve(NAME + ".png");
    }
}
