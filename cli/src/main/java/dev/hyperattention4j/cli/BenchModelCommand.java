package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ha4j bench-model}: llama-bench-style prompt processing and generation speed. */
@Command(name = "bench-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Model speed like llama-bench: ppN = prefill of N random tokens (one batch, logits of the last "
                + "position) from an empty cache; tgN = N single-token decode steps from an empty cache.",
                "t/s is mean +/- sample standard deviation over --repetitions after --warmup runs.",
                "With --patch-last L, every pp test also runs with HyperAttention in the last L layers."})
public final class BenchModelCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AttentionOptions attention;

    @Option(names = {"-p", "--n-prompt"}, split = ",", paramLabel = "N",
            description = "Prompt lengths (default: 512,2048).")
    List<Integer> prompts = new ArrayList<>(List.of(512, 2048));

    @Option(names = {"-n", "--n-gen"}, split = ",", paramLabel = "N", description = "Generation lengths (default: 128; 0 = none).")
    List<Integer> gens = new ArrayList<>(List.of(128));

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", description = "Measured runs per test (default: ${DEFAULT-VALUE}).")
    int repetitions = 5;

    @Option(names = "--warmup", paramLabel = "SECONDS",
            description = "Unmeasured runs for this much CPU time (at least one) before each test, so the JIT has "
                    + "compiled the kernels (default: ${DEFAULT-VALUE}).")
    double warmup = 2.0;

    @Option(names = "--json", description = "Print the rows as one JSON document.")
    boolean json;

    record Row(String model, String size, long params, int threads, String attention, String test, double mean,
               double stddev, double[] samples, double cpuMean) {
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
        List<Row> rows = new ArrayList<>();
        LlamaModel.startKernelWarmup();   // Vector API initialisation in parallel with the model parsing
        try (Model m = modelOptions.open(); WorkerPool pool = modelOptions.pool()) {
            ModelConfig c = m.config();
            LlamaModel model = LlamaModel.of(m);
            long bytes = 0;
            for (WeightTensor t : m.tensors()) {
                bytes += t.data().byteSize();
            }
            String size = bytes >= 1 << 30 ? String.format("%.2f GiB", bytes / (double) (1 << 30))
                    : String.format("%.2f MiB", bytes / (double) (1 << 20));
            List<AttentionPlan> plans = new ArrayList<>(List.of(attention.exactPlan(pool, c)));
            if (attention.patchLast > 0) {
                plans.add(attention.plan(pool, c));
            }
            int total = (prompts.size() * plans.size() + (int) gens.stream().filter(g -> g > 0).count())
                    * repetitions;
            LlamaModel.awaitKernelWarmup();   // time the compiled vector kernels, not the start-up path
            SplittableRandom random = new SplittableRandom(1234);
            try (Progress bar = Progress.start("bench", total, json)) {
                long[] done = {0};
                for (int n : prompts) {
                    int[] tokens = random.ints(n, 0, c.vocabSize()).toArray();
                    for (AttentionPlan plan : plans) {
                        LlamaSession s = model.newSession(n, plan, pool);
                        double[] cpu = new double[1];
                        double[] tps = measure(() -> {
                            s.reset();
                            s.forwardLast(tokens);
                        }, n, bar, done, pool.threads(), cpu);
                        rows.add(row(m, size, model, pool, plan, "pp" + n, tps, cpu[0]));
                    }
                }
                for (int n : gens) {
                    if (n <= 0) {
                        continue;
                    }
                    int[] tokens = random.ints(n, 0, c.vocabSize()).toArray();
                    LlamaSession s = model.newSession(n, plans.getFirst(), pool);
                    double[] cpu = new double[1];
                    double[] tps = measure(() -> {
                        s.reset();
                        for (int t : tokens) {
                            s.decode(t);
                        }
                    }, n, bar, done, pool.threads(), cpu);
                    rows.add(row(m, size, model, pool, plans.getFirst(), "tg" + n, tps, cpu[0]));
                }
            }
        }
        print(rows);
        return 0;
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

    private Row row(Model m, String size, LlamaModel model, WorkerPool pool, AttentionPlan plan, String test,
                    double[] tps, double cpuRate) {
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
        return new Row(modelOptions.modelName() + " " + m.config().format(), size, model.parameters(), pool.threads(),
                att, test, mean, sd, tps, cpuRate);
    }

    private void print(List<Row> rows) throws Exception {
        if (json) {
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
                out.add(e);
            }
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
            return;
        }
        String fmt = "| %-28s | %10s | %8s | %7s | %-16s | %7s | %20s | %10s |%n";
        System.out.printf(fmt, "model", "size", "params", "threads", "attention", "test", "t/s", "t/s (cpu)");
        System.out.printf(fmt, "-".repeat(28), "-".repeat(10), "-".repeat(8), "-".repeat(7), "-".repeat(16), "-".repeat(7),
                "-".repeat(20), "-".repeat(10));
        for (Row r : rows) {
            String params = r.params() >= 1_000_000 ? String.format("%.2f M", r.params() / 1e6)
                    : String.format("%.1f K", r.params() / 1e3);
            System.out.printf(fmt, r.model(), r.size(), params, r.threads(), r.attention(), r.test(),
                    String.format("%.2f ± %.2f", r.mean(), r.stddev()), String.format("%.0f", r.cpuMean()));
        }
        System.out.println("t/s: wall clock, mean ± stddev over " + repetitions + " runs after " + warmup
                + " CPU s of warm-up. t/s (cpu): tokens per (CPU time of the working threads / threads), an estimate for an idle "
                + "machine when the host is busy (waits for a core do not count).");
        if (attention.patchLast > 0) {
            System.out.println("hyper: " + attention.hyperSettings());
        }
    }
}
