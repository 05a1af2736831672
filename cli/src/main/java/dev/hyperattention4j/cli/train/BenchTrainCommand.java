package dev.hyperattention4j.cli.train;

import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.cli.AnyValue;
import dev.hyperattention4j.cli.HyperAttentionOptions;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.cli.bench.BenchClock;
import dev.hyperattention4j.cli.bench.FmaPeak;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.train.AdamW;
import dev.hyperattention4j.llm.train.LearningRate;
import dev.hyperattention4j.llm.train.LlamaBackprop;
import dev.hyperattention4j.llm.train.LlamaParameters;
import dev.hyperattention4j.llm.train.StepProfile;
import dev.hyperattention4j.llm.train.StepProfile.Phase;
import dev.hyperattention4j.llm.train.Trainer;
import dev.hyperattention4j.llm.train.TrainingAttention;
import dev.hyperattention4j.llm.train.TrainingSettings;
import dev.hyperattention4j.llm.train.TrainingWindows;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.PrintStream;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ha4j bench train}: training throughput of a new model on random tokens, against the FMA peak measured in
 * the same run, and the time of a HyperAttention layer against an exact one inside the same training step at longer
 * contexts. Everything runs the real training path ({@link Trainer}: forward, backward, clipping, AdamW); the phases
 * come from {@link StepProfile}.
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Training throughput: tokens/s and model flops as a share of the FMA peak measured in the same "
                + "run (default: the shape of the issue's PyTorch comparison, context 4096, batch 1, exact "
                + "attention), with the time per phase of a step.",
                "Then, at each --hyper-sizes context, one training step with HyperAttention in the last half of the "
                        + "layers and exact attention in the rest: the time of a HyperAttention layer against an "
                        + "exact one, measured in the same step."})
public final class BenchTrainCommand implements Callable<Integer> {
    @Mixin
    ModelShapeOptions shape = new ModelShapeOptions();

    @Range(min = 2, max = 1 << 20)
    @Option(names = {"-c", "--context"}, paramLabel = "N", description = "Tokens per window of the throughput "
            + "steps (default: ${DEFAULT-VALUE}).")
    int context = 4096;

    @Range(min = 1, max = 1000)
    @Option(names = "--steps", paramLabel = "S", description = "Timed steps after one warm-up step "
            + "(default: ${DEFAULT-VALUE}).")
    int steps = 3;

    @Range(min = 0, max = 1 << 20, note = "0 = none")
    @Option(names = "--hyper-sizes", split = ",", paramLabel = "N", description = "Contexts of the HyperAttention "
            + "vs exact layer comparison, one warm-up and one timed step each (default: ${DEFAULT-VALUE}; 0 = "
            + "none).")
    int[] hyperSizes = {8192, 16384};

    @Mixin
    HyperAttentionOptions hyper;

    @Mixin
    ThreadsOption threadsOption = new ThreadsOption();

    @AnyValue
    @Option(names = "--seed", paramLabel = "S", description = "Seed of the weights and tokens "
            + "(default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--cpu-time", description = "Time with the threads' CPU time (divided by the thread count) "
            + "instead of elapsed time, for a machine shared with other jobs (see BenchClock).")
    boolean cpuTime;

    @Override
    public Integer call() {
        int threads = threadsOption.threads;
        PrintStream out = System.out;
        BenchClock clock = cpuTime ? BenchClock.CPU : BenchClock.WALL;
        ModelConfig c = shape.config(context, shape.vocab != null ? shape.vocab : 4096, -1, -1);
        for (int n : hyperSizes) {
            if (n > 0 && c.layers() < 2) {
                throw new IllegalArgumentException("--hyper-sizes needs at least 2 --layers (exact and HyperAttention "
                        + "layers in the same step); give --hyper-sizes 0");
            }
        }
        LlamaParameters params = LlamaParameters.initialise(c, seed);
        try (WorkerPool pool = new WorkerPool(threads)) {
            LlamaModel.awaitKernelWarmup();
            double peak = FmaPeak.measure(threads, clock).allThreadsGflops();
            out.printf("model: %,d parameters (%d layers, dim %d, %d/%d heads of %d, FFN %d, vocabulary %d); %d "
                            + "threads; %s; load average %s%n", params.count(), c.layers(), c.dim(), c.heads(),
                    c.kvHeads(), c.headDim(), c.hiddenDim(), c.vocabSize(), threads,
                    cpuTime ? "CPU time of the threads" : "elapsed time", loadAverage());
            out.printf("FP32 FMA peak of %d threads: %.1f GFLOP/s%n", threads, peak);

            Run exact = run(params, context, TrainingAttention.exact(), steps, clock, pool);
            double flopsPerToken = flopsPerToken(params, c, context);
            double tps = exact.tokens / exact.seconds;
            out.printf("%nexact attention, context %d, batch 1: %.3f s/step, %.0f tok/s, %.1f model GFLOP/s = %.1f %% "
                            + "of the FMA peak (model flops per token: 6 x parameters + 6 x context x dim x layers)%n",
                    context, exact.seconds / steps, tps, tps * flopsPerToken / 1e9,
                    100 * tps * flopsPerToken / 1e9 / peak);
            printPhases(exact.profile, steps, out);

            for (int n : hyperSizes) {
                if (n <= 0) {
                    continue;
                }
                int hyperLayers = c.layers() / 2;
                HyperConfig h = hyper.config(HyperConfig.DEFAULT_SEED ^ seed, 0);
                Run mixed = run(params, n, new TrainingAttention(hyperLayers, h), 1, clock, pool);
                Map<Phase, Double> s = mixed.profile.seconds();
                double rest = (s.get(Phase.LINEAR_FORWARD) + s.get(Phase.LINEAR_INPUT_GRADIENT)
                        + s.get(Phase.LINEAR_WEIGHT_GRADIENT) + s.get(Phase.ELEMENTWISE)) / c.layers();
                int exactLayers = c.layers() - hyperLayers;
                double exactAttention = (s.get(Phase.ATTENTION_FORWARD) + s.get(Phase.ATTENTION_BACKWARD))
                        / exactLayers;
                double hyperAttention = (s.get(Phase.HYPER_ATTENTION_FORWARD)
                        + s.get(Phase.HYPER_ATTENTION_BACKWARD)) / hyperLayers;
                out.printf("%ncontext %d, one step, HyperAttention (b=%d, m=%d, r=%d, exact up to %d tokens) in the "
                                + "last %d of %d layers: %.2f s/step%n", n, h.blockSize(), h.sampleSize(),
                        h.numProjections(), h.minSeqLen(), hyperLayers, c.layers(), mixed.seconds);
                out.printf("  per layer, forward + backward: exact %.3f s (attention %.3f s), HyperAttention %.3f s "
                                + "(attention %.3f s); linear and element-wise %.3f s in both%n", rest + exactAttention,
                        exactAttention, rest + hyperAttention, hyperAttention, rest);
                out.printf("  HyperAttention layer / exact layer: %.2f (attention alone: %.2f)%n",
                        (rest + hyperAttention) / (rest + exactAttention), hyperAttention / exactAttention);
            }
        }
        return 0;
    }

    /** A timed run: its profile (the timed steps only), their total seconds and tokens. */
    private record Run(StepProfile profile, double seconds, long tokens) {
    }

    /** One warm-up step, then {@code timed} profiled steps of a fresh trainer (the weights are copied, not changed). */
    private Run run(LlamaParameters initial, int n, TrainingAttention attention, int timed, BenchClock clock,
                    WorkerPool pool) {
        int threads = pool.threads();
        ModelConfig c = initial.config();
        HeapBudget.require(LlamaBackprop.activationBytes(c, n) + 20L * initial.count(), "training the benchmark model "
                + "on " + n + "-token windows", "lower --context, --hyper-sizes or the model size");
        LlamaParameters params = initial.zerosLike();
        for (int i = 0; i < params.tensors().size(); i++) {
            float[] from = initial.tensors().get(i).data();
            System.arraycopy(from, 0, params.tensors().get(i).data(), 0, from.length);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[2 * n + 1];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(c.vocabSize());
        }
        TrainingSettings settings = new TrainingSettings(n, 1, timed + 1, new LearningRate(1e-4, 1e-5, 0, timed + 1),
                AdamW.Settings.defaults(), 1.0, seed, attention, 0,
                TrainingWindows.Source.WINDOW);
        Trainer trainer = new Trainer(params, new AdamW(settings.adam(), params), settings, tokens, 0, pool);
        trainer.next();   // JIT warm-up; starts the pool's threads
        BenchClock.refreshThreads();
        trainer.profile().useClock(() -> clock.now(threads));
        long tokensTimed = 0;
        for (int i = 0; i < timed; i++) {
            tokensTimed += trainer.next().tokens();
        }
        return new Run(trainer.profile(), trainer.profile().totalSeconds(), tokensTimed);
    }

    /** The model flops per token: 6 per parameter and causal attention's 6·n·d per layer. */
    static double flopsPerToken(LlamaParameters p, ModelConfig c, int context) {
        return 6.0 * p.count() + 6.0 * context * c.heads() * c.headDim() * c.layers();
    }

    /** Seconds per step and share of each phase. */
    static void printPhases(StepProfile p, long steps, PrintStream out) {
        double total = p.totalSeconds();
        for (Map.Entry<Phase, Double> e : p.seconds().entrySet()) {
            if (e.getValue() > 0) {
                out.printf("  %-58s %8.3f s/step %5.1f %%%n", e.getKey().label(), e.getValue() / steps,
                        100 * e.getValue() / total);
            }
        }
    }

    private static String loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "unknown" : String.format("%.2f (1 min)", load);
    }
}
