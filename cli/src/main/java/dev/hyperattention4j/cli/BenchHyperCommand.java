package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.attention.hyper.HyperProfile;
import dev.hyperattention4j.attention.hyper.SampleSource;
import dev.hyperattention4j.cli.bench.BenchClock;
import dev.hyperattention4j.cli.bench.BenchTimer;
import dev.hyperattention4j.cli.bench.CallProfile;
import dev.hyperattention4j.cli.bench.FmaPeak;
import dev.hyperattention4j.cli.experiment.Charts;
import dev.hyperattention4j.reference.AttentionError;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ha4j bench hyper} (alias {@code bench-hyper}): HyperAttention against the project's exact tiled kernel in the same run, on the same
 * inputs and threads. For each (n, d, causal, input) it reports the time of each, the speedup, and the relative
 * Frobenius error of HyperAttention's output against the exact output. After a warm-up of each, timed runs
 * alternate the two (medians); exact runs once when it takes more than two seconds (the 131k points).
 * {@code --cpu-time} times with the threads' CPU time, for a machine shared with other jobs.
 */
@Command(name = "bench-hyper", mixinStandardHelpOptions = true,
        description = {"HyperAttention vs the exact kernel: time, speedup and error over sequence lengths.",
                "Default sweep n = 4096..32768 (about two minutes); --full goes to 131072."})
public final class BenchHyperCommand implements Callable<Integer> {

    @Range(min = 1, max = 1 << 24)
    @Option(names = {"--sizes", "--n"}, split = ",", description = "sequence lengths (default 4096,8192,16384,32768)")
    int[] sizes;

    @Option(names = "--full", description = "sweep n = 4096..131072")
    boolean full;

    @Range(min = 1, max = 1024)
    @Option(names = {"--dims", "--dim"}, split = ",", description = "head dims (default ${DEFAULT-VALUE})",
            defaultValue = "64,128")
    int[] dims;

    @Option(names = "--inputs", split = ",", description = "random, clustered (default ${DEFAULT-VALUE})",
            defaultValue = "random,clustered")
    String[] inputs;

    @Range(min = 1, max = 10_000)
    @Option(names = {"-r", "--reps"}, description = "timed repetitions (median; default ${DEFAULT-VALUE})",
            defaultValue = "3")
    int reps;

    @Mixin
    HyperAttentionOptions hyperOptions = new HyperAttentionOptions();

    @Option(names = "--profile", description = "print HyperAttention's breakdown from " + PROFILED_CALLS + " extra "
            + "profiled calls: hash, sort, gather, blocks, samples, merge, exact, idle (threads × wall time minus the "
            + "phases, split into serial parts, step tails, unit time outside the phases and time the unit times do "
            + "not explain; not with --cpu-time), each kernel part's share of the FMA peak (and the exact kernel's), and the "
            + "count of rows recomputed exactly because their estimate was degenerate; each phase less the measured "
            + "cost of its clock readings; and the call's parallel steps replayed on 2, 4, 8 and 16 threads from their "
            + "unit times (the idle that barriers and serial parts cost on free cores; take it from a --threads 1 run)")
    boolean profile;

    @Option(names = "--cpu-time", description = "time with the threads' CPU time (divided by the thread count) "
            + "instead of elapsed time, for a machine shared with other jobs; --profile then uses each thread's "
            + "CPU time too")
    boolean cpuTime;

    @Range(min = 0, max = 1 << 20, note = "0 = off")
    @Option(names = "--check", paramLabel = "k", defaultValue = "0", description = "recompute k random output rows "
            + "exactly and report HyperAttention's measured error (0 = off; useful with --no-exact)")
    int check;

    @Option(names = "--no-exact", description = "skip the exact kernel (no speedup or error)")
    boolean noExact;

    @Mixin
    SweepOptions sweep = new SweepOptions();

    @Mixin
    MaskOption maskOption = new MaskOption();

    @Option(names = "--plot", description = "write a PNG plot of speedup vs n")
    Path plot;

    @Option(names = "--in-process", description = "run every configuration in this JVM instead of a fresh JVM each "
            + "(faster, but one configuration's JIT state can slow the next)")
    boolean inProcess;

    @Option(names = "--one", hidden = true, description = "internal: measure one n:d:causal:input, print a JSON row")
    String one;

    /** One measured configuration. */
    public record Row(int n, int d, int heads, boolean causal, String input, double exactSeconds, double hyperSeconds,
                      double speedup, double relError, double errorVsValues, double exactGflops,
                      Map<String, Double> profileMs,
                      double blockGflopsPerThread, double peakGflopsPerThread, double blockPercentOfPeak,
                      double checkError, double sampleGflopsPerThread, long fallbackRows,
                      double checkErrorVsValues, double exactLeafGflopsPerThread, double exactPercentOfPeak,
                      double clockReadingNanos, double clockReadingsPerCall, int replayThreads,
                      double replaySteps, double replaySerialMs, double replayTailMs, double replayIdleShare,
                      Map<Integer, Double> replayIdleByThreads, Map<String, Double> idlePartsMs) {}

    /** Thread counts on which --profile also replays the calls' steps (beyond the run's own or two). */
    static final int[] REPLAY_THREADS = {4, 8, 16};

    /** Profiled calls after the timed ones, whose phases are averaged. */
    static final int PROFILED_CALLS = 3;

    @Override
    public Integer call() throws Exception {
        int[] ns = sizes != null ? sizes : full ? new int[] {4096, 8192, 16384, 32768, 65536, 131072}
                : new int[] {4096, 8192, 16384, 32768};
        boolean[] masks = maskOption.masks(this);
        int t = sweep.threadCount();
        if (one != null) {
            String[] f = one.split(":");
            BenchInputs kind = BenchInputs.valueOf(f[3].toUpperCase(Locale.ROOT));
            int n = Integer.parseInt(f[0]), d = Integer.parseInt(f[1]);
            HyperConfig c = hyperOptions.config(sweep.seed, 0);
            try (WorkerPool pool = new WorkerPool(t)) {
                Row row = measure(new FlashAttention(pool), new HyperAttention(c, pool),
                        kind.make(sweep.heads, n, d, sweep.seed + n + d), Boolean.parseBoolean(f[2]), kind.label(), t);
                System.out.println(new ObjectMapper().writeValueAsString(row));
            }
            return 0;
        }
        HyperConfig cfg = hyperOptions.config(sweep.seed, 0);
        List<Row> rows = new ArrayList<>();
        for (int d : dims) {
            for (int n : ns) {
                BenchInputs.requireInputs(sweep.heads, n, d, 5); // before any JVM is forked
            }
        }
        System.err.printf("bench hyper: %s, %s, %d threads, species %s, b=%d m=%d r=%d minSeqLen=%d, %s%n",
                System.getProperty("java.vm.name") + " " + Runtime.version(), System.getProperty("os.arch"), t,
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, cfg.blockSize(), cfg.sampleSize(),
                cfg.numProjections(), cfg.minSeqLen(),
                cpuTime ? "times in thread CPU time / threads" : "times in elapsed time");
        try (WorkerPool pool = new WorkerPool(t)) {
            FlashAttention exact = new FlashAttention(pool);
            HyperAttention hyper = new HyperAttention(cfg, pool);
            if (!sweep.json) {
                System.out.println(header());
            }
            for (String inputName : inputs) {
                BenchInputs kind = BenchInputs.valueOf(inputName.trim().toUpperCase(Locale.ROOT));
                for (int d : dims) {
                    for (int n : ns) {
                        FloatTensor[] x = inProcess ? kind.make(sweep.heads, n, d, sweep.seed + n + d) : null;
                        for (boolean causal : masks) {
                            Row row = inProcess ? measure(exact, hyper, x, causal, kind.label(), t)
                                    : fork(n, d, causal, kind, t, cfg);
                            rows.add(row);
                            if (!sweep.json) {
                                System.out.println(format(row));
                                if (check > 0) {
                                    System.out.println(String.format(Locale.ROOT, "    spot check (%d rows): "
                                            + "err/‖O‖ %.4f, err/‖V‖ %.4f", check, row.checkError(),
                                            row.checkErrorVsValues()));
                                }
                                if (profile) {
                                    System.out.println(profileReport(row, cpuTime));
                                }
                            }
                        }
                    }
                }
            }
        }
        if (sweep.json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
            doc.put("threads", t);
            doc.put("clock", cpuTime ? "thread CPU time / threads (--cpu-time)" : "elapsed (wall) time");
            doc.put("species", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.toString());
            doc.put("config", cfg);
            doc.put("rows", rows);
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        }
        if (plot != null) {
            writePlot(rows, plot);
            System.err.println("bench hyper: wrote " + plot);
        }
        return 0;
    }

    /**
     * This JVM's options for the forked one (vector module, heap, collector, object alignment), without the
     * class-data-sharing and logging options the launcher adds for itself (one archive per JVM) and without agents.
     */
    public static List<String> forwardedJvmOptions() {
        List<String> options = new ArrayList<>();
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.contains("SharedArchiveFile") || a.contains("ArchiveClassesAtExit") || a.startsWith("-Xlog")
                    || a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-Xshare")) {
                continue;
            }
            options.add(a);
        }
        if (options.stream().noneMatch(a -> a.contains("jdk.incubator.vector"))) {
            options.addAll(0, List.of("--add-modules", "jdk.incubator.vector"));
        }
        return options;
    }

    /** Measures one configuration in a fresh JVM (same class path, same options) and parses its JSON row. */
    private Row fork(int n, int d, boolean causal, BenchInputs kind, int t, HyperConfig cfg) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(forwardedJvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "hyper",
                "--one", n + ":" + d + ":" + causal + ":" + kind.label(), "--heads", "" + sweep.heads,
                "--threads", "" + t, "--reps", "" + reps, "--hyper-b", "" + cfg.blockSize(), "--hyper-m",
                "" + cfg.sampleSize(), "--hyper-r", "" + cfg.numProjections(), "--hyper-min-seq-len",
                "" + cfg.minSeqLen(), "--hyper-seed", "" + cfg.seed(), "--seed", "" + sweep.seed, "--check", "" + check));
        if (noExact) {
            cmd.add("--no-exact");
        }
        if (cpuTime) {
            cmd.add("--cpu-time");
        }
        if (profile) {
            cmd.add("--profile");
        }
        Process process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = process.waitFor();
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        if (code != 0 || !last.startsWith("{")) {
            throw new IllegalStateException("benchmark JVM for n=" + n + " d=" + d + " causal=" + causal + " "
                    + kind.label() + " failed (exit " + code + "): " + out);
        }
        return new ObjectMapper().readValue(last, Row.class);
    }

    private Row measure(FlashAttention exact, HyperAttention hyper, FloatTensor[] x, boolean causal, String input,
                        int threads) {
        FloatTensor q = x[0], k = x[1], v = x[2];
        int n = q.length(), d = q.dim();
        AttentionProblem hp = AttentionProblem.of(q, k, v).withCausal(causal);
        // JIT warm-up on the same shape; with --profile the profiled path too (alternating), so that the profiled
        // calls do not run code that C2 has just thrown away for the new clock
        HyperProfile warmProfile = profile ? new HyperProfile(cpuTime) : null;
        int[] warmCalls = {0};
        BenchTimer.warmUp(() -> hyper.forward(hp, SampleSource.seeded(sweep.seed, 0, warmCalls[0]),
                warmCalls[0]++ % 2 == 1 ? warmProfile : null), 1.5, profile ? 4 : 2);
        BenchClock clock = cpuTime ? BenchClock.CPU : BenchClock.WALL;
        BenchClock.refreshThreads();                        // the pool's workers exist now
        // at least --reps timed runs, more (up to 50) until one second has passed: the median then shrugs off
        // the occasional preemption on a shared machine
        AttentionProblem ep = AttentionProblem.of(q, k, v).withCausal(causal);
        if (!noExact) {
            // warm the exact kernel on a short prefix of the same inputs (the full size can take half a minute)
            int wn = Math.min(n, 4096);
            FloatTensor wq = prefix(q, wn), wk = prefix(k, wn), wv = prefix(v, wn);
            BenchTimer.warmUp(() -> exact.forward(AttentionProblem.of(wq, wk, wv).withCausal(causal)), 1.0, 2);
        }
        // timed runs alternate hyper and exact, so that a load change on a shared machine hits both: at least
        // --reps, more (up to 50) until one second has passed, and exact only once when it takes over 2 s
        // (the timed calls run without a profile: its clock readings, five per query block, are not in the figure)
        List<Double> htList = new ArrayList<>(), et = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 50 && (i < reps || System.nanoTime() - start < 1e9); i++) {
            int rep = i;
            htList.add(BenchTimer.seconds(() -> hyper.forward(hp, SampleSource.seeded(sweep.seed, 0, rep), null), clock,
                    threads));
            if (!noExact && (et.isEmpty() || et.get(0) < 2.0)) {
                et.add(BenchTimer.seconds(() -> exact.forward(ep), clock, threads));
            }
        }
        double hyperSec = BenchTimer.median(htList);
        CallProfile prof = profile ? CallProfile.measure(hyper, hp, sweep.seed, clock, PROFILED_CALLS)
                : CallProfile.NONE;
        double exactSec = Double.NaN, gflops = Double.NaN;
        AttentionError err = new AttentionError(Double.NaN, Double.NaN, Double.NaN);
        if (!noExact) {
            exactSec = BenchTimer.median(et);
            err = AttentionError.of(hp.output(), ep.output(), v);
            gflops = ep.flops() / exactSec / 1e9;
        }
        Map<String, Double> ms = prof.millis(!cpuTime, threads);
        // the parts' flops as counted by the profile: 4·rows·keys·d per kernel call (about 4·n·b·d per head and
        // causal level for the blocks; padding and masked samples are not counted)
        double blockGf = prof.gflopsPerThread(HyperProfile.Phase.BLOCKS);
        double sampleGf = prof.gflopsPerThread(HyperProfile.Phase.SAMPLES);
        double leafGf = prof.gflopsPerThread(HyperProfile.Phase.EXACT);
        double peak = FmaPeak.measure(1, clock).oneThreadGflops();
        // the steps' idle tails on two threads (or the run's count), replayed from the unit times
        HyperProfile.Schedule replay = prof.schedule(Math.max(2, threads));
        int calls = Math.max(1, prof.calls());
        Map<Integer, Double> replayIdle = new LinkedHashMap<>();
        for (int more : REPLAY_THREADS) {
            if (replay != null && more > replay.threads()) {
                replayIdle.put(more, prof.schedule(more).idleShare());
            }
        }
        AttentionError check = this.check > 0
                ? dev.hyperattention4j.reference.SpotCheck.measure(hp, this.check, sweep.seed).error()
                : new AttentionError(Double.NaN, Double.NaN, Double.NaN);
        return new Row(n, d, q.heads(), causal, input, exactSec, hyperSec, exactSec / hyperSec, err.vsOutput(),
                err.vsValues(), gflops, ms,
                blockGf, peak, 100 * blockGf / peak, check.vsOutput(), sampleGf, prof.fallbackRows(),
                check.vsValues(), leafGf, gflops / threads / peak * 100, prof.readingNanos(), prof.intervalsPerCall(),
                replay == null ? 0 : replay.threads(), replay == null ? Double.NaN : (double) replay.steps() / calls,
                replay == null ? Double.NaN : replay.serialNanos() / 1e6 / calls,
                replay == null ? Double.NaN : replay.tailNanos() / 1e6 / calls,
                replay == null ? Double.NaN : replay.idleShare(), replayIdle,
                cpuTime ? Map.of() : prof.idleParts(threads));
    }

    /**
     * The lines {@code --profile} prints under a row: the phases (ms per call, summed over threads, and their share),
     * each kernel part's rate as a share of the 1-thread FMA peak measured in the same run (the exact kernel's whole
     * call for comparison), and the share of the parts around the kernels.
     */
    static String profileReport(Row row, boolean cpuTime) {
        double peak = row.peakGflopsPerThread();
        String clock = String.format(Locale.ROOT, "%s, less %.0f readings of %.2f µs of the clock itself",
                cpuTime ? "thread CPU time" : "elapsed time", row.clockReadingsPerCall(),
                row.clockReadingNanos() / 1e3);
        return "    profile (ms per call, summed over threads; " + clock + "): " + breakdown(row.profileMs())
                + String.format(Locale.ROOT, "%n    %% of the measured 1-thread FMA peak (%.0f GFLOP/s; 4·rows·keys·d of "
                        + "each part's kernel calls): exact kernel %s, block part %s, sample part %s, exact leaves %s",
                        peak, orDash("%.0f%%", row.exactPercentOfPeak()),
                        orDash("%.0f%%", 100 * row.blockGflopsPerThread() / peak),
                        orDash("%.0f%%", 100 * row.sampleGflopsPerThread() / peak),
                        orDash("%.0f%%", 100 * row.exactLeafGflopsPerThread() / peak))
                + "\n    " + overheadShare(row.profileMs())
                + "\n    " + replayLine(row)
                + idleLine(row)
                + "\n    rows recomputed exactly (degenerate estimate): " + row.fallbackRows();
    }

    /**
     * The share of the parts around the kernels (hash, sort, gather, merge) in the approximated work (everything but
     * the exact leaves and fallbacks), which issue 30 bounds to 15 % for a non-causal call.
     */
    private static String overheadShare(Map<String, Double> ms) {
        double around = ms.get("hash") + ms.get("sort") + ms.get("gather") + ms.get("merge");
        double approximated = around + ms.get("blocks") + ms.get("samples");
        if (approximated <= 0) {
            return "no approximated work";
        }
        double call = ms.values().stream().mapToDouble(Double::doubleValue).sum();
        return String.format(Locale.ROOT, "hash + sort + gather + merge: %.0f%% of the time outside the exact leaves "
                + "(%.0f%% of the call)", 100 * around / approximated, 100 * around / call);
    }

    /**
     * The profiled calls' parallel steps replayed on two threads (or the run's count) from their unit times: what the
     * barriers between steps and the serial parts would cost on free cores. From a one-thread run the unit times
     * are free of waits for a shared core.
     */
    private static String replayLine(Row row) {
        if (row.replayThreads() == 0) {
            return "no schedule replay";
        }
        return String.format(Locale.ROOT, "replayed on %d threads from the unit times: %.0f parallel steps per call, "
                + "serial %.1f ms, step tails %.1f ms (summed over threads): idle %.1f%% of %d × the call",
                row.replayThreads(), row.replaySteps(), row.replaySerialMs(), row.replayTailMs(),
                100 * row.replayIdleShare(), row.replayThreads())
                + (row.replayIdleByThreads() == null || row.replayIdleByThreads().isEmpty() ? ""
                : "; idle on " + row.replayIdleByThreads().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%d threads %.1f%%", e.getKey(), 100 * e.getValue()))
                        .collect(java.util.stream.Collectors.joining(", ")));
    }

    /**
     * The measured idle split by cause (elapsed clock only): what of it the unit times explain (serial parts, step
     * tails, unit time outside the phases) and what they do not.
     */
    private static String idleLine(Row row) {
        Map<String, Double> p = row.idlePartsMs();
        if (p == null || p.isEmpty() || row.profileMs().get("idle") == null) {
            return "";
        }
        return String.format(Locale.ROOT, "%n    idle %.1f ms per call = serial parts %.1f (the other threads wait) + "
                + "step tails %.1f (replayed from the unit times) + in units outside the phases %.1f + not in the "
                + "unit times %.1f (a thread that starts a step late or lost its core, the barriers' own latency)",
                row.profileMs().get("idle"), p.get("serial"), p.get("tails"), p.get("inUnits"),
                p.get("outsideUnits"));
    }

    /** "phase ms (share%)" for every phase with time. */
    private static String breakdown(Map<String, Double> ms) {
        double total = ms.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder sb = new StringBuilder();
        ms.forEach((phase, t) -> {
            if (t > 0) {
                sb.append(String.format(Locale.ROOT, "%s%s %.1f (%.0f%%)", sb.isEmpty() ? "" : ", ", phase, t,
                        100 * t / total));
            }
        });
        return sb.toString();
    }

    private static FloatTensor prefix(FloatTensor x, int n) {
        FloatTensor out = FloatTensor.zeros(x.batch(), x.heads(), n, x.dim());
        float[] row = new float[x.dim()];
        for (int h = 0; h < x.heads(); h++) {
            for (int i = 0; i < n; i++) {
                x.readRow(0, h, i, row, 0);
                out.writeRow(0, h, i, row, 0);
            }
        }
        return out;
    }


    private static String header() {
        String h = String.format(Locale.ROOT, "| %7s | %4s | %5s | %-9s | %-9s | %10s | %9s | %9s | %10s | %8s | %8s |",
                "n", "d", "heads", "mask", "input", "exact s", "exact GF", "hyper s", "speedup", "err/‖O‖", "err/‖V‖");
        return "errors against the exact kernel's output: err/‖O‖ = ‖Ô−O‖/‖O‖ (on random inputs about sqrt(n/m) by "
                + "construction), err/‖V‖ = row error on the scale of V's rows\n" + h + "\n" + h.replaceAll("[^|]", "-");
    }

    private static String format(Row r) {
        // a figure that was not measured (--no-exact) prints as "-", never as NaN
        return String.format(Locale.ROOT, "| %7d | %4d | %5d | %-9s | %-9s | %10s | %9s | %9.4f | %10s | %8s | %8s |",
                r.n(), r.d(), r.heads(), r.causal() ? "causal" : "noncausal", r.input(), orDash("%.4f", r.exactSeconds()),
                orDash("%.1f", r.exactGflops()), r.hyperSeconds(), orDash("%.1fx", r.speedup()),
                orDash("%.4f", r.relError()), orDash("%.4f", r.errorVsValues()));
    }

    /** {@code value} formatted, or "-" when it was not measured (NaN). */
    static String orDash(String format, double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static void writePlot(List<Row> rows, Path file) throws java.io.IOException {
        XYChart chart = Charts.chart("HyperAttention speedup over exact attention", "sequence length n (tokens)",
                "speedup (exact time / HyperAttention time)");
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        Map<String, List<Row>> series = new LinkedHashMap<>();
        for (Row r : rows) {
            if (!Double.isNaN(r.speedup())) {
                series.computeIfAbsent((r.causal() ? "causal" : "non-causal") + ", d=" + r.d() + ", " + r.input(),
                        key -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<String, List<Row>> e : series.entrySet()) {
            double[] xs = e.getValue().stream().mapToDouble(Row::n).toArray();
            double[] ys = e.getValue().stream().mapToDouble(Row::speedup).toArray();
            chart.addSeries(e.getKey(), xs, ys);
        }
        String name = file.toString();
        Charts.save(chart, name.endsWith(".png") ? file : Path.of(name + ".png"));
    }
}
