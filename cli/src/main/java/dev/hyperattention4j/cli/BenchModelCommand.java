package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.kernel.FmaPeakProbe;
import dev.hyperattention4j.kernel.ReadBandwidthProbe;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.synthetic.RandomWeights;
import dev.hyperattention4j.llm.synthetic.SyntheticShape;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ha4j bench-model}: llama-bench-style prompt processing and generation speed, against the machine's limits. */
@Command(name = "bench-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Model speed like llama-bench: ppN = prefill of N random tokens (one batch, logits of the last "
                + "position) from an empty cache; tgN = N single-token decode steps from an empty cache.",
                "t/s is mean +/- sample standard deviation over --repetitions after --warmup runs.",
                "Each thread count first measures the machine's limits: the streaming read bandwidth (all threads "
                + "reading a 1 GiB buffer) and the FP32 FMA peak. A tg row shows weight bytes per token x t/s as percent "
                + "of that bandwidth, a pp row 2 x parameters flops per token x t/s as percent of that peak.",
                "--synthetic SHAPE --type T times random weights of a published model's shape instead of a file.",
                "With --patch-last L, every pp test also runs with HyperAttention in the last L layers."})
public final class BenchModelCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "Model file or folder: GGUF, Hugging Face safetensors + config.json, or llama2.c .bin "
                    + "(or --synthetic).")
    Path model;

    @Mixin
    TokenizerOption tokenizer = new TokenizerOption();

    @Option(names = "--synthetic", paramLabel = "SHAPE",
            description = "Random weights in the shape of a published model instead of MODEL: smollm2-135m, "
                    + "qwen2.5-0.5b, llama-3.2-1b, llama-3.1-8b (refused when the machine lacks the memory).")
    String synthetic;

    @Option(names = "--type", paramLabel = "T",
            description = "Weights of --synthetic: a quantisation preset (Q4_K_M, Q8_0, Q6_K, ...: per-tensor types as "
                    + "the GGUF quantiser picks them) or one type for every matrix (F32, F16, BF16, Q4_K, ...) "
                    + "(default: ${DEFAULT-VALUE}).")
    String type = "Q8_0";

    @Option(names = "--save", paramLabel = "FILE",
            description = "With --synthetic: also write the random model as a GGUF file (with a placeholder "
                    + "vocabulary), so other tools can be timed on the same weights.")
    Path save;

    @Range(min = 1, max = 1024)
    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N",
            description = "Worker thread counts, e.g. 1,2 (default: available processors).")
    List<Integer> threads = new ArrayList<>(List.of(Runtime.getRuntime().availableProcessors()));

    @Option(names = "--check-weights", description = "Read every weight once before running and stop with an "
            + "error naming the tensor and element at the first NaN or infinity (costs one pass over the file).")
    boolean checkWeights;

    @Mixin
    AttentionOptions attention;

    @Range(min = 1, max = 1 << 24)
    @Option(names = {"-p", "--n-prompt"}, split = ",", paramLabel = "N",
            description = "Prompt lengths (default: 512,2048).")
    List<Integer> prompts = new ArrayList<>(List.of(512, 2048));

    @Range(min = 0, max = 1 << 24)
    @Option(names = {"-n", "--n-gen"}, split = ",", paramLabel = "N", description = "Generation lengths (default: 128; 0 = none).")
    List<Integer> gens = new ArrayList<>(List.of(128));

    @Range(min = 1, max = 10_000)
    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", description = "Measured runs per test (default: ${DEFAULT-VALUE}).")
    int repetitions = 5;

    @Range(min = 0, max = 3600)
    @Option(names = "--warmup", paramLabel = "SECONDS",
            description = "Unmeasured runs for this much CPU time (at least one) before each test, so the JIT has "
                    + "compiled the kernels (default: ${DEFAULT-VALUE}).")
    double warmup = 2.0;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "Output format: md (table), csv or json (default: ${DEFAULT-VALUE}).")
    String output = "md";

    @Option(names = "--json", description = "Same as -o json.")
    boolean json;

    @Option(names = "--no-limits", description = "Skip the bandwidth and FMA peak probes (no percent columns).")
    boolean noLimits;

    /** One result row; bandwidth in bytes/s and peak in flop/s of the same thread count (0 = not measured). */
    record Row(String model, String size, long params, int threads, String attention, String test, double mean,
               double stddev, double[] samples, double cpuMean, double bandwidth, double peak, double percent) {
    }

    /** The model under test and what one token costs. */
    private record Subject(String name, String size, LlamaModel model, long bytesPerToken, double loadSeconds,
                           long heapBytes) {
    }

    /**
     * CPU time of the threads doing the work (this thread and the worker pool's), for the estimate shown beside
     * the wall-clock rate; JIT and GC threads are not counted.
     */
    private static long processCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = mx.getCurrentThreadCpuTime();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("ha4j-worker")) {
                sum += Math.max(0, mx.getThreadCpuTime(t.threadId()));
            }
        }
        return sum;
    }

    @Override
    public Integer call() throws Exception {
        if (repetitions < 1 || !(warmup >= 0)) {
            throw new IllegalArgumentException("--repetitions must be >= 1 and --warmup >= 0");
        }
        if (json) {
            output = "json";
        }
        output = output.toLowerCase(Locale.ROOT);
        if (!List.of("md", "csv", "json").contains(output)) {
            throw new IllegalArgumentException("--output must be md, csv or json, got '" + output + "'");
        }
        for (int t : threads) {
            if (t < 1 || t > 1024) {
                throw new IllegalArgumentException("--threads values must be in [1, 1024], got " + t);
            }
        }
        if ((model == null) == (synthetic == null)) {
            throw new IllegalArgumentException("give either MODEL or --synthetic SHAPE (not both)");
        }
        if (save != null && synthetic == null) {
            throw new IllegalArgumentException("--save needs --synthetic");
        }
        LlamaModel.startKernelWarmup();   // Vector API initialisation in parallel with the model parsing
        int maxThreads = threads.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<Row> rows = new ArrayList<>();
        Subject subject;
        if (synthetic != null) {
            SyntheticShape shape = SyntheticShape.named(synthetic);
            java.util.function.Function<String, dev.hyperattention4j.llm.model.DType> types = SyntheticTypes.of(type, shape.config());
            long t0 = System.nanoTime();
            try (WorkerPool fillPool = new WorkerPool(maxThreads);
                 RandomWeights w = RandomWeights.create(shape.config(), types, 1234, fillPool)) {
                if (save != null) {
                    dev.hyperattention4j.llm.synthetic.SyntheticGguf.write(w, shape.id() + " " + type + " (random)",
                            save);
                }
                long built = System.nanoTime();
                LlamaModel lm = LlamaModel.of(shape.config(), w);
                subject = new Subject(shape.id() + " " + type.toUpperCase(Locale.ROOT) + " (random)",
                        size(RandomWeights.bytesNeeded(shape.config(), types)), lm, lm.weightBytesPerToken(),
                        (System.nanoTime() - built) / 1e9, heapUsed());
                if (output.equals("md")) {
                    System.out.printf("random weights built in %.1f s%n", (built - t0) / 1e9);
                }
                runAll(subject, rows);
            }
        } else {
            ModelOptions opts = new ModelOptions();
            opts.model = model;
            opts.tokenizer = tokenizer;
            opts.checkWeights = checkWeights;
            opts.threads = maxThreads;
            long t0 = System.nanoTime();
            try (Model m = opts.open()) {
                LlamaModel lm = LlamaModel.of(m);
                double load = (System.nanoTime() - t0) / 1e9;
                long bytes = 0;
                for (WeightTensor t : m.tensors()) {
                    bytes += t.data().byteSize();
                }
                subject = new Subject(opts.modelName() + " " + m.config().format(), size(bytes), lm,
                        lm.weightBytesPerToken(), load, heapUsed());
                runAll(subject, rows);
            }
        }
        print(rows, subject);
        return 0;
    }

    private static String size(long bytes) {
        return bytes >= 1 << 30 ? String.format("%.2f GiB", bytes / (double) (1 << 30))
                : String.format("%.2f MiB", bytes / (double) (1 << 20));
    }

    /** Heap in use after a collection: what the loaded model holds on the heap (mapped weights are not heap). */
    private static long heapUsed() {
        System.gc();
        java.lang.management.MemoryMXBean mx = java.lang.management.ManagementFactory.getMemoryMXBean();
        return mx.getHeapMemoryUsage().getUsed();
    }

    private void runAll(Subject s, List<Row> rows) {
        ModelConfig c = s.model().config();
        for (int n : prompts) { // before any work: a context the heap cannot hold names its option
            HeapBudget.require(LlamaSession.bytesFor(c, n, 1), "a context of " + n + " tokens", "lower -p/--n-prompt");
        }
        for (int n : gens) {
            HeapBudget.require(LlamaSession.bytesFor(c, n, 1), "a context of " + n + " tokens", "lower -n/--n-gen");
        }
        int total = threads.size() * (prompts.size() * (attention.patchLast > 0 ? 2 : 1)
                + (int) gens.stream().filter(g -> g > 0).count()) * repetitions;
        LlamaModel.awaitKernelWarmup();   // time the compiled vector kernels, not the start-up path
        try (Progress bar = Progress.start("bench", total, !output.equals("md"))) {
            long[] done = {0};
            for (int th : threads) {
                try (WorkerPool pool = new WorkerPool(th)) {
                    double bandwidth = noLimits ? 0 : ReadBandwidthProbe.measure(pool, ReadBandwidthProbe.DEFAULT_BYTES, 3);
                    double peak = noLimits ? 0 : fmaPeak(pool);
                    List<AttentionPlan> plans = new ArrayList<>(List.of(attention.exactPlan(pool, c)));
                    if (attention.patchLast > 0) {
                        plans.add(attention.plan(pool, c));
                    }
                    SplittableRandom random = new SplittableRandom(1234);
                    for (int n : prompts) {
                        int[] tokens = random.ints(n, 0, c.vocabSize()).toArray();
                        for (AttentionPlan plan : plans) {
                            LlamaSession session = s.model().newSession(n, plan, pool);
                            double[] cpu = new double[1];
                            double[] tps = measure(() -> {
                                session.reset();
                                session.forwardLast(tokens);
                            }, n, bar, done, th, cpu);
                            double flops = 2.0 * s.model().parameters();
                            rows.add(row(s, th, plan, "pp" + n, tps, cpu[0], bandwidth, peak, flops / Math.max(peak, 1e-30)));
                        }
                    }
                    for (int n : gens) {
                        if (n <= 0) {
                            continue;
                        }
                        int[] tokens = random.ints(n, 0, c.vocabSize()).toArray();
                        LlamaSession session = s.model().newSession(n, plans.getFirst(), pool);
                        double[] cpu = new double[1];
                        double[] tps = measure(() -> {
                            session.reset();
                            for (int t : tokens) {
                                session.decode(t);
                            }
                        }, n, bar, done, th, cpu);
                        rows.add(row(s, th, plans.getFirst(), "tg" + n, tps, cpu[0], bandwidth, peak,
                                s.bytesPerToken() / Math.max(bandwidth, 1e-30)));
                    }
                }
            }
        }
    }

    /** FP32 FMA flop/s of all the pool's threads spinning {@link FmaPeakProbe} at once, best of 3 timed rounds. */
    private static double fmaPeak(WorkerPool pool) {
        long iterations = 2_000_000;
        int th = pool.threads();
        float[] sink = new float[th];
        double best = 0;
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            pool.run(th, (w, u) -> sink[u] += FmaPeakProbe.spin(iterations, 0.5f + u));
            double sec = (System.nanoTime() - t0) / 1e9;
            if (round > 0) {
                best = Math.max(best, th * iterations * (double) FmaPeakProbe.FLOPS_PER_ITERATION / sec);
            }
        }
        if (Float.isNaN(sink[0])) {
            throw new IllegalStateException("FMA probe returned NaN");
        }
        return best;
    }

    private double[] measure(Runnable work, int tokens, Progress bar, long[] done, int threads, double[] cpuRate) {
        // warm-up counted in CPU time of the working threads: on a busy host wall time would end it cold
        long warmEnd = processCpuNanos() + (long) (warmup * 1e9);
        do {
            work.run();
        } while (processCpuNanos() < warmEnd);
        double[] tps = new double[repetitions];
        long cpu0 = processCpuNanos();
        for (int i = 0; i < repetitions; i++) {
            long t0 = System.nanoTime();
            work.run();
            long t1 = System.nanoTime();
            tps[i] = tokens / ((t1 - t0) / 1e9);
            bar.step(++done[0], null);
        }
        // CPU time per thread: what the run would take if its threads never waited for a core
        cpuRate[0] = (double) tokens * repetitions / ((processCpuNanos() - cpu0) / 1e9 / threads);
        return tps;
    }

    /** {@code perToken} is the cost of one token divided by the limit, so percent = t/s × perToken × 100. */
    private Row row(Subject s, int th, AttentionPlan plan, String test, double[] tps, double cpuRate,
                    double bandwidth, double peak, double perToken) {
        double mean = 0;
        for (double v : tps) {
            mean += v;
        }
        mean /= tps.length;
        double var = 0;
        for (double v : tps) {
            var += (v - mean) * (v - mean);
        }
        double sd = tps.length > 1 ? Math.sqrt(var / (tps.length - 1)) : 0;
        String att = test.startsWith("tg") ? "exact (decode)"
                : plan.patchLast() > 0 ? "hyper in last " + plan.patchLast()
                : "exact (" + plan.exact().name() + ")";
        double percent = noLimits ? Double.NaN : 100 * mean * perToken;
        return new Row(s.name(), s.size(), s.model().parameters(), th, att, test, mean, sd, tps, cpuRate,
                bandwidth, peak, percent);
    }

    private void print(List<Row> rows, Subject s) throws Exception {
        switch (output) {
            case "json" -> {
                List<Map<String, Object>> out = new ArrayList<>();
                for (Row r : rows) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("model", r.model());
                    e.put("size", r.size());
                    e.put("params", r.params());
                    e.put("threads", r.threads());
                    e.put("attention", r.attention());
                    e.put("test", r.test());
                    e.put("t_s_mean", r.mean());
                    e.put("t_s_stddev", r.stddev());
                    e.put("samples", r.samples());
                    e.put("t_s_cpu_estimate", r.cpuMean());
                    if (!noLimits) {
                        e.put("read_bandwidth_gb_s", r.bandwidth() / 1e9);
                        e.put("fma_peak_gflop_s", r.peak() / 1e9);
                        e.put(r.test().startsWith("tg") ? "percent_of_bandwidth" : "percent_of_fma_peak", r.percent());
                    }
                    e.put("weight_bytes_per_token", s.bytesPerToken());
                    e.put("load_seconds", s.loadSeconds());
                    e.put("heap_bytes_after_load", s.heapBytes());
                    out.add(e);
                }
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
            }
            case "csv" -> {
                System.out.println("model,size,params,threads,attention,test,t_s_mean,t_s_stddev,t_s_cpu_estimate,"
                        + "read_bandwidth_gb_s,fma_peak_gflop_s,percent_of_limit");
                for (Row r : rows) {
                    System.out.printf(Locale.ROOT, "\"%s\",%s,%d,%d,\"%s\",%s,%.4f,%.4f,%.2f,%.2f,%.2f,%.2f%n", r.model(),
                            r.size(), r.params(), r.threads(), r.attention(), r.test(), r.mean(), r.stddev(),
                            r.cpuMean(), r.bandwidth() / 1e9, r.peak() / 1e9, r.percent());
                }
            }
            default -> {
                String fmt = "| %-34s | %10s | %8s | %7s | %-16s | %7s | %20s | %10s | %14s |%n";
                System.out.printf(fmt, "model", "size", "params", "threads", "attention", "test", "t/s", "t/s (cpu)",
                        "% of limit");
                System.out.printf(fmt, "-".repeat(34), "-".repeat(10), "-".repeat(8), "-".repeat(7), "-".repeat(16),
                        "-".repeat(7), "-".repeat(20), "-".repeat(10), "-".repeat(14));
                for (Row r : rows) {
                    String params = r.params() >= 1_000_000 ? String.format("%.2f M", r.params() / 1e6)
                            : String.format("%.1f K", r.params() / 1e3);
                    String pct = noLimits ? "-" : String.format("%.1f %% %s", r.percent(),
                            r.test().startsWith("tg") ? "bw" : "peak");
                    System.out.printf(fmt, r.model(), r.size(), params, r.threads(), r.attention(), r.test(),
                            String.format("%.2f ± %.2f", r.mean(), r.stddev()), String.format("%.0f", r.cpuMean()), pct);
                }
                System.out.println("t/s: wall clock, mean ± stddev over " + repetitions + " runs after " + warmup
                        + " CPU s of warm-up. t/s (cpu): tokens per (CPU time of the working threads / threads), an "
                        + "estimate for an idle machine when the host is busy (waits for a core do not count).");
                if (!noLimits) {
                    StringBuilder b = new StringBuilder("limits measured in this run:");
                    rows.stream().map(r -> r.threads()).distinct().forEach(th -> rows.stream()
                            .filter(r -> r.threads() == th).findFirst().ifPresent(r -> b.append(String.format(
                                    " %d thread(s) read %.1f GB/s, FMA peak %.1f GFLOP/s;", th, r.bandwidth() / 1e9,
                                    r.peak() / 1e9))));
                    System.out.println(b);
                    System.out.printf("%% bw = %.1f MB of weights per decoded token x t/s / read bandwidth; %% peak = "
                            + "2 x %.1f M parameters flops per prompt token x t/s / FMA peak.%n",
                            s.bytesPerToken() / 1e6, s.model().parameters() / 1e6);
                }
                System.out.printf("load: %.2f s to a prepared model, heap after load %.1f MB%n", s.loadSeconds(),
                        s.heapBytes() / 1e6);
                if (attention.patchLast > 0) {
                    System.out.println("hyper: " + attention.hyperSettings());
                }
            }
        }
    }
}
