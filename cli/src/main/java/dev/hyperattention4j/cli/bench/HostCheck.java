package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Locale;

/**
 * Did the host's speed change while the bench ran? The same small exact-kernel point (n = 2048, d = 64,
 * non-causal, one thread) is timed before the sweep and after it. On a shared machine the memory-bound parts of
 * the kernel can slow by 10-15 % for minutes while the register-only FMA probe moves a few percent (see
 * docs/KERNEL.md), so a table whose two timings differ says that its rows were not all measured on the same
 * machine speed.
 */
record HostCheck(double startMs, double endMs) {
    /** Change beyond which the table carries a warning. */
    static final double DRIFT_PERCENT = 5;
    static final int N = 2048;
    static final int D = 64;

    double changePercent() {
        return 100 * (endMs / startMs - 1);
    }

    boolean drifted() {
        return Math.abs(changePercent()) > DRIFT_PERCENT;
    }

    HostCheck withEnd(double ms) {
        return new HostCheck(startMs, ms);
    }

    /**
     * Median milliseconds of the reference point on a one-thread pool: its own 0.3 s warm-up and 3 repetitions, so
     * the check does not depend on how the sweep splits its repetitions between passes.
     */
    static double timeReference(BenchClock clock, WorkerPool oneThread) {
        FloatTensor[] qkv = BenchCommand.inputs(N, D, 0);
        AttentionProblem problem = AttentionProblem.of(qkv[0], qkv[1], qkv[2]);
        Attention flash = AttentionBenchCase.flash().create(oneThread);
        BenchTimer timer = new BenchTimer(0.3, 0.1, 3, 2.0, 3, clock);
        return timer.time(() -> flash.forward(problem), 1).median() * 1e3;
    }

    /**
     * The reference point's speed as % of the one-thread FMA peak: on this project's 2-vCPU test host 76 % (5.8 ms)
     * when the host is quiet and 69 % (6.5 ms) when it is not, so the number places a table without knowing the
     * machine.
     */
    static double percentOfPeak(double ms, double oneThreadPeakGflops) {
        return 100 * (4.0 * N * N * D) / (ms * 1e6) / oneThreadPeakGflops;
    }

    String describe(double oneThreadPeakGflops) {
        String line = String.format(Locale.ROOT, "host check: exact kernel n=%d d=%d 1 thread %.2f ms (%.1f %% of the "
                + "1-thread peak) before the sweep, %.2f ms (%.1f %%) after (%+.1f %%)", N, D, startMs,
                percentOfPeak(startMs, oneThreadPeakGflops), endMs, percentOfPeak(endMs, oneThreadPeakGflops),
                changePercent());
        return drifted() ? line + ": the host's speed changed during this run; compare its rows with care" : line;
    }
}
