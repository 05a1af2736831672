package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.cli.AnyValue;
import dev.hyperattention4j.cli.BenchInputs;
import dev.hyperattention4j.cli.MaskOption;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.kernel.VectorWidth;
import dev.hyperattention4j.reference.AttentionError;
import dev.hyperattention4j.reference.RowReference;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code ha4j bench}: exact attention speed against this machine's measured FMA peak, in one run. Measures the
 * peak (1 and all threads), times every {@link AttentionBenchCase} over n × head dim × mask × threads on random
 * N(0,1) inputs (one head), measures the peak again and reports against the higher of the two. The exact tiled
 * kernel is the reference of each point; the naive baselines run at small n only. Results go to stdout (table or
 * {@code --json}); progress goes to stderr.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, modelTransformer = BenchCommand.Modes.class,
        description = {"Attention benchmarks. Without a mode (or with 'exact'): exact attention speed vs the measured "
                + "FMA peak, with naive baselines and HyperAttention rows.",
                "Default sweep n = 4096, 8192, 16384, d = 64 and 128, causal and not, 1 and all threads (about a "
                        + "minute on 2 cores); --sizes 4096,8192,16384,32768 adds the 32768 points (about two "
                        + "minutes).",
                "Modes: exact, hyper (HyperAttention vs exact over n), backward (forward + backward), model "
                        + "(llama-bench-style model throughput), cold (first call of a fresh process vs warm), train (training "
                        + "throughput vs the FMA peak, HyperAttention vs exact layers)."})
public class BenchCommand implements Callable<Integer> {

    /**
     * Adds the modes to {@code bench}: {@code exact} (this sweep), {@code hyper}, {@code backward} and {@code model}
     * (the former {@code bench-hyper}, {@code bench-backward} and {@code bench-model}, which stay as aliases).
     */
    public static final class Modes implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            if (spec.userObject() != null && spec.userObject().getClass() == BenchCommand.class) {
                add(spec, "exact", new Exact());
                add(spec, "hyper", new dev.hyperattention4j.cli.BenchHyperCommand());
                add(spec, "backward", new dev.hyperattention4j.cli.BenchBackwardCommand());
                add(spec, "model", new dev.hyperattention4j.cli.BenchModelCommand());
                add(spec, "cold", new BenchColdCommand());
                add(spec, "train", new dev.hyperattention4j.cli.train.BenchTrainCommand());
            }
            return spec;
        }

        /** Registers {@code command} as mode {@code name}, under which its usage is shown too. */
        private static void add(CommandSpec spec, String name, Object command) {
            CommandLine mode = new CommandLine(command);
            mode.getCommandSpec().name(name);
            spec.addSubcommand(name, mode);
        }
    }

    /** {@code bench exact}: the same sweep as {@code bench} alone. */
    @Command(name = "exact", mixinStandardHelpOptions = true,
            description = "Exact attention speed vs the measured FMA peak, with naive baselines and HyperAttention rows.")
    public static final class Exact extends BenchCommand {}

    @Range(min = 1, max = 1 << 24)
    @Option(names = {"--sizes", "--n"}, split = ",", defaultValue = "4096,8192,16384",
            description = "sequence lengths, nq = nk (default ${DEFAULT-VALUE}); e.g. 4096,8192,131072")
    int[] sizes;

    @Range(min = 1, max = 1024)
    @Option(names = {"--dims", "--dim"}, split = ",", defaultValue = "64,128",
            description = "head dims (default ${DEFAULT-VALUE})")
    int[] dims;

    @Mixin
    MaskOption maskOption = new MaskOption();

    @Range(min = 1, max = 1024)
    @Option(names = "--threads", split = ",",
            description = "thread counts to time (default: 1 and all processors)")
    int[] threadCounts;

    @Range(min = 1, max = 1 << 24)
    @Option(names = "--baseline-n", split = ",", defaultValue = "1024",
            description = "small lengths where the naive baselines run too (default ${DEFAULT-VALUE}; 0 = none)")
    int[] baselineSizes;

    @Range(min = 1, max = 10_000)
    @Option(names = {"-r", "--reps"}, defaultValue = "3", description = "timed repetitions of at least 0.1 s, split "
            + "between the passes (default ${DEFAULT-VALUE}: one per pass; at least 3 in all)")
    int reps;

    @Range(min = 0, max = 3600)
    @Option(names = "--warmup", defaultValue = "0.3", description = "warm-up seconds per point (default ${DEFAULT-VALUE})")
    double warmup;

    @Range(min = 1, max = 10_000)
    @Option(names = "--rounds", defaultValue = "3", description = {"passes over the whole sweep, the repetitions "
            + "split between them (default ${DEFAULT-VALUE}); a point's median is over all of them, so on a host whose "
            + "speed drifts every point samples the same mix of its states"})
    int rounds;

    @AnyValue
    @Option(names = "--seed", defaultValue = "1", description = "input seed")
    long seed;

    @Option(names = "--json", description = "print one JSON document instead of the table")
    boolean json;

    @Option(names = "--backward", description = {"time forward + backward of exact and HyperAttention instead "
            + "(the first --dims entry, the largest --threads); the same as 'bench backward'"})
    boolean backward;

    @Option(names = "--cpu-time", description = {"time with the threads' CPU time (divided by the thread count) "
            + "instead of elapsed time, for a machine shared with other jobs; see BenchClock"})
    boolean cpuTime;

    @Option(names = "--no-hyper", description = "leave out the HyperAttention rows")
    boolean noHyper;

    /**
     * Whether case c is timed at length n on t threads. A length given only by {@code --baseline-n} is there for the
     * single-threaded baselines: it gets the exact kernel on the fewest threads next to them, and neither
     * HyperAttention (below its minimum length it is the exact kernel) nor the other thread counts, which would
     * only lengthen the default sweep.
     */
    static boolean measures(AttentionBenchCase c, int n, int t, int[] sweepSizes, int[] threads) {
        if (!c.runs(n, t)) {
            return false;
        }
        for (int s : sweepSizes) {
            if (s == n) {
                return true;
            }
        }
        int fewest = Integer.MAX_VALUE;
        for (int x : threads) {
            fewest = Math.min(fewest, x);
        }
        return !c.approximate() && t == fewest;
    }

    /**
     * The implementations in the table, the exact reference first (the others are compared with it).
     * HyperAttention's own sweep with more detail: {@code bench hyper}.
     */
    List<AttentionBenchCase> cases(int baselineMax) {
        List<AttentionBenchCase> cases = new ArrayList<>(List.of(AttentionBenchCase.flash()));
        if (!noHyper) {
            cases.add(AttentionBenchCase.hyper());
        }
        cases.add(AttentionBenchCase.matmulSoftmax(baselineMax));
        cases.add(AttentionBenchCase.naive(baselineMax));
        return cases;
    }

    @Override
    public Integer call() throws Exception {
        if (reps < 1 || rounds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--reps and --rounds must be >= 1 and --warmup >= 0, got " + reps + ", "
                    + rounds + ", " + warmup);
        }
        if (backward) {
            Integer t = null;
            if (threadCounts != null) {
                t = java.util.Arrays.stream(threadCounts).max().orElse(1);
            }
            return dev.hyperattention4j.cli.BenchBackwardCommand.of(sizes, dims[0], maskOption.mask, t, reps, seed,
                    json).call();
        }
        int all = Runtime.getRuntime().availableProcessors();
        int[] threads = threadCounts != null ? threadCounts : all == 1 ? new int[] {1} : new int[] {1, all};
        int maxThreads = 1;
        for (int t : threads) {
            maxThreads = Math.max(maxThreads, t);
        }
        boolean[] masks = maskOption.masks(this);
        int baselineMax = 0;
        List<Integer> lengths = new ArrayList<>();
        for (int n : baselineSizes) {
            if (n > 0) {
                lengths.add(n);
                baselineMax = Math.max(baselineMax, n);
            }
        }
        for (int n : sizes) {
            if (!lengths.contains(n)) {
                lengths.add(n);
            }
        }
        List<AttentionBenchCase> cases = cases(baselineMax);
        Map<String, Object> system = describeSystem(threads, cpuTime ? BenchClock.CPU : BenchClock.WALL);
        List<BenchRow> rows = new ArrayList<>();
        BenchClock clock = cpuTime ? BenchClock.CPU : BenchClock.WALL;
        // each pass times a point with its share of the repetitions; a slow point (one call of about a second) gets
        // one repetition per pass, at least three in all
        final int perPass = Math.max(1, (reps + rounds - 1) / rounds);
        BenchTimer timer = new BenchTimer(warmup, 0.1, perPass, 2.0 / rounds, Math.max(1, (3 + rounds - 1) / rounds),
                clock);
        Map<Integer, WorkerPool> pools = new LinkedHashMap<>();
        try {
            for (int t : threads) {
                pools.put(t, new WorkerPool(t));
            }
            System.err.println("bench: measuring the FMA peak...");
            final long probeIterations = FmaPeak.calibrate();
            final FmaPeak peakBefore = FmaPeak.measure(pools.get(maxThreads), clock, probeIterations);
            System.err.printf("bench: FMA peak %.1f GFLOP/s (1 thread), %.1f (%d threads)%n",
                    peakBefore.oneThreadGflops(), peakBefore.allThreadsGflops(), peakBefore.threads());
            WorkerPool onePool = pools.containsKey(1) ? pools.get(1) : new WorkerPool(1);
            if (!pools.containsKey(1)) {
                pools.put(1, onePool);       // closed with the others; not a timed thread count
            }
            java.util.Set<Integer> warmDims = new java.util.HashSet<>();
            warmUpCompiler(pools.get(maxThreads), HostCheck.D, masks);
            warmDims.add(HostCheck.D);
            System.err.println("bench: host check (before the sweep)");
            HostCheck host = new HostCheck(HostCheck.timeReference(clock, onePool), Double.NaN);
            // one implementation per (case, threads), reused by every point: their scratch is sized once
            Map<String, Attention> implementations = new LinkedHashMap<>();
            List<Point> points = new ArrayList<>();
            for (int d : dims) {
                if (warmDims.add(d)) {
                    warmUpCompiler(pools.get(maxThreads), d, masks);
                }
                for (int n : lengths) {
                    FloatTensor[] qkv = inputs(n, d, seed);
                    for (boolean causal : masks) {
                        AttentionProblem problem = AttentionProblem.of(qkv[0], qkv[1], qkv[2]).withCausal(causal);
                        RowReference reference = RowReference.sample(problem, 8);
                        // case by case, every thread count of a case before the next case: a case's first calls
                        // at a new length set C2 compiling in the background, and on 2 cores those compiler
                        // threads would slow the next point (HyperAttention's 1-thread point made the exact
                        // kernel's following 2-thread point 7 % slower when the thread loop was outside)
                        for (AttentionBenchCase c : cases) {
                            for (int t : threads) {
                                if (!measures(c, n, t, sizes, threads)) {
                                    continue;
                                }
                                final int tt = t;
                                Attention a = implementations.computeIfAbsent(c.name() + "/" + t,
                                        k -> c.create(pools.get(tt)));
                                System.err.printf("bench: %s n=%d d=%d %s threads=%d%n", c.name(), n, d,
                                        causal ? "causal" : "full", t);
                                BenchTimer.Timing timing = timer.time(() -> a.forward(problem), t);
                                points.add(new Point(c, n, d, causal, t, a, problem, timing,
                                        reference.error(problem)));
                            }
                        }
                    }
                }
            }
            for (int pass = 2; pass <= rounds; pass++) {
                System.err.printf("bench: pass %d of %d over the %d points%n", pass, rounds, points.size());
                for (int i = 0; i < points.size(); i++) {
                    Point pt = points.get(i);
                    points.set(i, pt.with(pt.timing().plus(
                            timer.again(() -> pt.attention().forward(pt.problem()), pt.threads(), pt.timing().min()))));
                }
            }
            System.err.println("bench: host check (after the sweep)");
            host = host.withEnd(HostCheck.timeReference(clock, onePool));
            System.err.println("bench: measuring the FMA peak again...");
            final FmaPeak peakAfter = FmaPeak.measure(pools.get(maxThreads), clock, probeIterations);
            final FmaPeak peak = peakBefore.max(peakAfter);
            Map<String, Double> exactMs = new LinkedHashMap<>();
            for (Point pt : points) {
                if (pt.impl().reference()) {
                    exactMs.put(pt.key(), pt.timing().median() * 1e3);
                }
            }
            for (Point pt : points) {
                BenchTimer.Timing timing = pt.timing();
                double ms = timing.median() * 1e3;
                double gflops = pt.impl().approximate() ? Double.NaN : pt.problem().flops() / timing.median() / 1e9;
                rows.add(new BenchRow(pt.impl().name(), pt.n(), pt.d(), pt.causal(), pt.threads(), ms,
                        timing.min() * 1e3, timing.max() * 1e3, timing.repetitions(), gflops,
                        100 * gflops / peak.forThreads(pt.threads()), exactMs.getOrDefault(pt.key(), Double.NaN) / ms,
                        pt.error().vsOutput(), pt.error().vsValues(), timing.allocatedBytes()));
            }
            if (json) {
                BenchReport.json(System.out, system, peakBefore, peakAfter, host, rows);
            } else {
                BenchReport.table(System.out, system, peakBefore, peakAfter, host, rows);
            }
            return 0;
        } finally {
            pools.values().forEach(WorkerPool::close);
        }
    }

    /** One timed point of the sweep, kept so that later passes can add repetitions. */
    private record Point(AttentionBenchCase impl, int n, int d, boolean causal, int threads, Attention attention,
                         AttentionProblem problem, BenchTimer.Timing timing, AttentionError error) {
        Point with(BenchTimer.Timing t) {
            return new Point(impl, n, d, causal, threads, attention, problem, t, error);
        }

        /** The point's (n, d, mask, threads), shared by the cases timed there. */
        String key() {
            return n + "/" + d + "/" + causal + "/" + threads;
        }
    }

    /**
     * Gets the kernels compiled by C2 before the first timed point: until then the vector code runs interpreted and
     * allocates boxed vectors, and a short per-point warm-up can end before C2 has finished.
     */
    private static void warmUpCompiler(WorkerPool pool, int d, boolean[] masks) {
        FloatTensor[] qkv = inputs(1024, d, 0);
        Attention flash = AttentionBenchCase.flash().create(pool);
        // HyperAttention's own code paths (hashing, sorting, block and sample packing, merges) at a short length
        Attention hyper = new dev.hyperattention4j.attention.hyper.HyperAttention(
                dev.hyperattention4j.attention.hyper.HyperConfig.defaults().withMinSeqLen(256), pool);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        System.err.printf("bench: compiler warm-up (d=%d)%n", d);
        // at least 2 s, then until a call allocates almost nothing (boxed vectors mean C2 is not done), at most 30 s
        AttentionProblem[] problems = new AttentionProblem[masks.length];
        for (int i = 0; i < masks.length; i++) {
            problems[i] = AttentionProblem.of(qkv[0], qkv[1], qkv[2]).withCausal(masks[i]);
        }
        while (true) {
            BenchClock.refreshThreads();
            long allocated = 0;
            for (AttentionProblem p : problems) {
                long before = sum(mx.getThreadAllocatedBytes(BenchClock.threadIds()));
                flash.forward(p);
                allocated += sum(mx.getThreadAllocatedBytes(BenchClock.threadIds())) - before;
                hyper.forward(p);      // allocates by design: not part of the "C2 is done" test
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (seconds > 30 || (seconds > 2 && allocated < 64 * 1024)) {
                return;
            }
        }
    }

    private static long sum(long[] xs) {
        long s = 0;
        for (long x : xs) {
            s += Math.max(0, x);
        }
        return s;
    }

    /** One head of N(0,1) queries, keys and values. */
    static FloatTensor[] inputs(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + n * 31L + d);
        FloatTensor[] t = new FloatTensor[3];
        BenchInputs.requireInputs(1, n, d, 5);
        for (int i = 0; i < 3; i++) {
            float[] x = new float[Math.multiplyExact(n, d)];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) gaussian(r);
            }
            t[i] = FloatTensor.of(x, 1, 1, n, d);
        }
        return t;
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    private static Map<String, Object> describeSystem(int[] threads, BenchClock clock) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        m.put("cpu", cpuName() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
        m.put("species", VectorWidth.describe());
        m.put("threads", java.util.Arrays.toString(threads));
        m.put("flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        m.put("clock", clock == BenchClock.CPU ? "thread CPU time / threads (--cpu-time)" : "elapsed (wall) time");
        return m;
    }

    private static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
