package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.cli.BenchInputs;
import dev.hyperattention4j.cli.MaskOption;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.kernel.FlashWarmup;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ha4j bench cold}: the first exact attention call of this process against the same call once warm. Meant to
 * run in a fresh JVM (scripts/coldstart-check starts several): the first call includes whatever the JIT and the
 * kernel warm-up ({@link FlashWarmup}) have not done by then. The attention object is created before the inputs,
 * as a program that sets up its attention and then loads its data would, so the warm-up it starts overlaps the input
 * generation; the time from JVM start to the first call is printed so that head start is visible.
 */
@Command(name = "cold", mixinStandardHelpOptions = true,
        description = {"The first exact attention call of a fresh process against the steady (warm) call: the "
                + "cold-start cost of the JIT. Run it in a fresh JVM; scripts/coldstart-check runs it several times.",
                "Prints each call's time, the steady time (median of the later calls) and first / steady."})
public final class BenchColdCommand implements Callable<Integer> {
    @Range(min = 1, max = 1 << 20)
    @Option(names = {"--n", "--sizes"}, defaultValue = "8192", description = "sequence length nq = nk (default ${DEFAULT-VALUE})")
    int n;

    @Range(min = 1, max = 1024)
    @Option(names = {"--dim", "--dims"}, defaultValue = "64", description = "head dim (default ${DEFAULT-VALUE})")
    int dim;

    @Range(min = 1, max = 1024)
    @Option(names = "--heads", defaultValue = "4", description = "heads (default ${DEFAULT-VALUE})")
    int heads;

    @Range(min = 2, max = 100)
    @Option(names = "--calls", defaultValue = "5", description = "calls in all, the first one cold (default ${DEFAULT-VALUE})")
    int calls;

    @Range(min = 1, max = 1024)
    @Option(names = "--threads", description = "worker threads (default: all processors)")
    Integer threads;

    @Option(names = "--mask", defaultValue = "causal", description = "causal or noncausal (= full) (default ${DEFAULT-VALUE})")
    String mask;

    @Override
    public Integer call() {
        MaskOption maskOption = new MaskOption();
        maskOption.mask = mask;
        boolean[] masks = maskOption.masks(this);
        if (masks.length != 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--mask must be causal or noncausal (= full), got " + mask);
        }
        BenchInputs.requireInputs(heads, n, dim, 4);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (WorkerPool pool = new WorkerPool(t)) {
            FlashAttention flash = new FlashAttention(pool);
            FloatTensor[] qkv = BenchInputs.RANDOM.make(heads, n, dim, 1);
            AttentionProblem p = AttentionProblem.of(qkv[0], qkv[1], qkv[2]).withCausal(masks[0]);
            long startMillis = ManagementFactory.getRuntimeMXBean().getUptime();
            System.out.printf(Locale.ROOT, "exact attention n=%d d=%d heads=%d %s, %d threads; first call starts %.2f s "
                    + "after JVM start (%s)%n", n, dim, heads, masks[0] ? "causal" : "full", t, startMillis / 1e3,
                    FlashWarmup.describe());
            double[] seconds = new double[calls];
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                flash.forward(p);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "call %d: %.3f s%n", i + 1, seconds[i]);
                if (i == 0) {
                    long end = FlashWarmup.finishedNanoTime();
                    System.out.println(FlashWarmup.describe() + (end == 0 ? "" : String.format(Locale.ROOT,
                            ", ended %.2f s into the first call", Math.max(0, end - t0) / 1e9)));
                    System.out.println(FlashWarmup.timeline());
                }
            }
            double[] later = Arrays.copyOfRange(seconds, 1, calls);
            Arrays.sort(later);
            double steady = later.length % 2 == 1 ? later[later.length / 2]
                    : (later[later.length / 2 - 1] + later[later.length / 2]) / 2;
            System.out.printf(Locale.ROOT, "first %.3f s, steady %.3f s (median of calls 2-%d), first/steady %.2f%n",
                    seconds[0], steady, calls, seconds[0] / steady);
        }
        return 0;
    }
}
