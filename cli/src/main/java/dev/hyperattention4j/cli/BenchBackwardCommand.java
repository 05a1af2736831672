package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.attention.TrainableFlashAttention;
import dev.hyperattention4j.cli.bench.BenchClock;
import dev.hyperattention4j.cli.bench.BenchTimer;
import dev.hyperattention4j.cli.bench.FmaPeak;
import dev.hyperattention4j.kernel.VectorWidth;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ha4j bench backward} (alias {@code bench-backward}): forward + backward (training step) time of exact
 * tiled attention and of the
 * approximate attentions available, in the same run, on the same inputs and threads. Reports the measured FMA
 * peak, each method's forward, backward and total time, the exact backward's GFLOP/s and % of the peak (counting
 * 2.5 × the forward's 4·n²·d flops, half when causal), and every method's total-time speedup over exact.
 * Absolute times depend on the machine's load; the ratios measured in one run are the result.
 */
@Command(name = "bench-backward", mixinStandardHelpOptions = true,
        description = {"Forward + backward time of exact and HyperAttention, speedup, and the exact backward's "
                + "%% of FMA peak.", "Default: n = 131072, d = 64, one head, non-causal and causal, 1 repetition."})
public final class BenchBackwardCommand implements Callable<Integer> {

    @Range(min = 1, max = 1 << 24)
    @Option(names = {"--sizes", "--n"}, split = ",", defaultValue = "131072",
            description = "sequence lengths (default ${DEFAULT-VALUE})")
    int[] sizes;

    @Range(min = 1, max = 1024)
    @Option(names = {"--dims", "--dim"}, split = ",", defaultValue = "64",
            description = "head dims (default ${DEFAULT-VALUE})")
    int[] dims;

    /** The head dim being measured. */
    private int dim;

    @Range(min = 1, max = 10_000)
    @Option(names = {"-r", "--reps"}, defaultValue = "1", description = "timed repetitions, median (default ${DEFAULT-VALUE})")
    int reps;

    @Range(min = 0, max = 3600)
    @Option(names = "--warmup-seconds", defaultValue = "3", description = "JIT warm-up per method at n = 4096 (default ${DEFAULT-VALUE})")
    double warmupSeconds;

    @Option(names = "--exact-only", description = "skip the approximate methods")
    boolean exactOnly;

    @Mixin
    SweepOptions sweep = new SweepOptions();

    @Mixin
    MaskOption maskOption = new MaskOption();

    /** The same benchmark configured from {@code ha4j bench --backward}'s options. */
    public static BenchBackwardCommand of(int[] sizes, int dim, String mask, Integer threads, int reps, long seed,
                                          boolean json) {
        BenchBackwardCommand c = new BenchBackwardCommand();
        c.sizes = sizes;
        c.dims = new int[] {dim};
        c.maskOption.mask = mask;
        c.sweep.threads = threads;
        c.sweep.seed = seed;
        c.sweep.json = json;
        c.reps = reps;
        c.warmupSeconds = 3;
        return c;
    }

    /** One method's measurements at one configuration. */
    record Timing(String method, double forwardSeconds, double backwardSeconds, double allocatedMiB) {
        double total() {
            return forwardSeconds + backwardSeconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        int t = sweep.threadCount();
        boolean[] masks = maskOption.masks(this);
        for (int n : sizes) {
            for (int d : dims) {
                BenchInputs.requireInputs(sweep.heads, n, d, 8); // before the FMA peak and warm-up runs
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> header = new LinkedHashMap<>();
        try (WorkerPool pool = new WorkerPool(t)) {
            List<TrainableAttention> methods = methods(pool);
            FmaPeak peak = FmaPeak.measure(pool, BenchClock.WALL, FmaPeak.calibrate());
            double peak1 = peak.oneThreadGflops(), peakT = peak.allThreadsGflops();
            header.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            header.put("cpu", Runtime.getRuntime().availableProcessors() + " processors");
            header.put("species", VectorWidth.describe());
            header.put("threads", t);
            header.put("fmaPeakGflops1", peak1);
            header.put("fmaPeakGflopsT", peakT);
            if (!sweep.json) {
                System.out.printf(Locale.ROOT, "%s; %s; %d threads; FMA peak %.0f GFLOP/s (1 thread), %.0f (%d threads)%n",
                        header.get("jvm"), header.get("species"), t, peak1, peakT, t);
                System.out.println("flops: forward 4·n²·d per head (half when causal); backward counted as 2.5 × forward");
                System.out.printf(Locale.ROOT, "%-4s %-7s %-6s %-8s %9s %9s %9s %8s %7s %9s %8s%n", "d", "n", "mask",
                        "method", "fwd s", "bwd s", "total s", "bwd GF/s", "% peak", "speedup", "MiB/call");
            }
            for (int d : dims) {
                dim = d;
                for (TrainableAttention m : methods) {
                    warmUp(m, masks);
                }
                for (int n : sizes) {
                    for (boolean causal : masks) {
                        Random r = new Random(sweep.seed + n);
                        FloatTensor q = gaussian(r, n), k = gaussian(r, n), v = gaussian(r, n), dO = gaussian(r, n);
                        Timing exact = null;
                        for (TrainableAttention m : methods) {
                            Timing tm = measure(m, q, k, v, dO, causal);
                            if (exact == null) {
                                exact = tm;
                            }
                            double forwardFlops = AttentionProblem.of(q, k, v).withCausal(causal).flops();
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("d", d);
                            row.put("n", n);
                            row.put("causal", causal);
                            row.put("method", tm.method());
                            row.put("forwardSeconds", tm.forwardSeconds());
                            row.put("backwardSeconds", tm.backwardSeconds());
                            row.put("totalSeconds", tm.total());
                            row.put("allocatedMiBPerCall", tm.allocatedMiB());
                            double gf = Double.NaN, pct = Double.NaN;
                            if (tm == exact) {
                                gf = 2.5 * forwardFlops / tm.backwardSeconds() / 1e9;
                                pct = 100 * gf / peakT;
                                row.put("backwardGflops", gf);
                                row.put("backwardPercentOfPeak", pct);
                            }
                            double speedup = exact.total() / tm.total();
                            row.put("speedupOverExact", speedup);
                            rows.add(row);
                            if (!sweep.json) {
                                System.out.printf(Locale.ROOT,
                                        "%-4d %-7d %-6s %-8s %9.3f %9.3f %9.3f %8s %7s %8.1fx %8.0f%n", d, n,
                                        causal ? "causal" : "full", tm.method(), tm.forwardSeconds(), tm.backwardSeconds(),
                                        tm.total(), Double.isNaN(gf) ? "-" : String.format(Locale.ROOT, "%.0f", gf),
                                        Double.isNaN(pct) ? "-" : String.format(Locale.ROOT, "%.1f", pct), speedup,
                                        tm.allocatedMiB());
                            }
                        }
                    }
                }
            }
        }
        if (sweep.json) {
            Map<String, Object> doc = new LinkedHashMap<>(header);
            doc.put("results", rows);
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        }
        return 0;
    }

    /** Exact first (the baseline), then the approximate methods. */
    private List<TrainableAttention> methods(WorkerPool pool) {
        List<TrainableAttention> list = new ArrayList<>();
        list.add(new TrainableFlashAttention(pool));
        if (!exactOnly) {
            list.addAll(ApproximateMethods.create(pool));
        }
        return list;
    }

    private void warmUp(TrainableAttention m, boolean[] masks) {
        Random r = new Random(sweep.seed);
        int n = 4096;
        FloatTensor q = gaussian(r, n), k = gaussian(r, n), v = gaussian(r, n), dO = gaussian(r, n);
        BenchTimer.warmUp(() -> {
            for (boolean causal : masks) {
                AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
                m.backward(m.forward(p, true), dO);
            }
        }, warmupSeconds, 1);
    }

    private Timing measure(TrainableAttention m, FloatTensor q, FloatTensor k, FloatTensor v, FloatTensor dO,
                           boolean causal) {
        double[] fwd = new double[reps], bwd = new double[reps];
        double alloc = 0;
        for (int i = 0; i < reps; i++) {
            AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal);
            BackwardContext[] ctx = new BackwardContext[1];
            long a0 = BenchTimer.allocatedBytes();
            fwd[i] = BenchTimer.seconds(() -> ctx[0] = m.forward(p, true), BenchClock.WALL, 1);
            bwd[i] = BenchTimer.seconds(() -> m.backward(ctx[0], dO), BenchClock.WALL, 1);
            alloc = (BenchTimer.allocatedBytes() - a0) / (1024.0 * 1024.0);
        }
        return new Timing(m.name(), BenchTimer.median(fwd), BenchTimer.median(bwd), alloc);
    }

    private FloatTensor gaussian(Random r, int n) {
        float[] x = new float[Math.multiplyExact(Math.multiplyExact(sweep.heads, n), dim)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return FloatTensor.of(x, 1, sweep.heads, n, dim);
    }

}
