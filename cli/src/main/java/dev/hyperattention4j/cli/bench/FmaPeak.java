package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.kernel.FmaPeakProbe;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Arrays;

/**
 * This machine's FP32 FMA peak measured with {@link FmaPeakProbe}, on 1 thread and on every thread of a pool at
 * once: the ceiling the attention figures are reported against. Median of several 0.1 s runs after a warm-up.
 */
record FmaPeak(double oneThreadGflops, double allThreadsGflops, int threads) {

    /** The peak for t threads: the measured all-thread figure when t is the pool size, else t × one thread. */
    double forThreads(int t) {
        return t == 1 ? oneThreadGflops : t == threads ? allThreadsGflops : t * oneThreadGflops;
    }

    static FmaPeak measure(WorkerPool pool) {
        long iterations = calibrate();
        double one = median(pool, 1, iterations);
        double all = pool.threads() == 1 ? one : median(pool, pool.threads(), iterations);
        return new FmaPeak(one, all, pool.threads());
    }

    /** Iterations for about 0.1 s on one thread, after a 0.5 s warm-up that gets the probe compiled by C2. */
    private static long calibrate() {
        long iterations = 100_000;
        long end = System.nanoTime() + 500_000_000L;
        long elapsed = 1;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            sink += FmaPeakProbe.spin(iterations, 1f);
            elapsed = System.nanoTime() - t0;
        }
        return Math.max(1000, (long) (iterations * (100e6 / elapsed)));
    }

    private static volatile float sink;

    private static double median(WorkerPool pool, int threads, long iterations) {
        double[] gflops = new double[7];
        for (int rep = 0; rep < gflops.length; rep++) {
            long t0 = System.nanoTime();
            pool.run(threads, (worker, unit) -> sink += FmaPeakProbe.spin(iterations, 1f + unit));
            long ns = System.nanoTime() - t0;
            gflops[rep] = threads * iterations * (double) FmaPeakProbe.FLOPS_PER_ITERATION / ns;
        }
        Arrays.sort(gflops);
        return gflops[gflops.length / 2];
    }
}
