package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.kernel.FmaPeakProbe;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Arrays;

/**
 * This machine's FP32 FMA peak measured with {@link FmaPeakProbe}, on 1 thread and on every thread of a pool at
 * once: the ceiling the attention figures are reported against, and the one probe every benchmark and experiment
 * uses. Median of several 0.1 s runs after a warm-up.
 * {@code bench} measures it before and after its sweep and reports against the higher of the two ({@link #max}):
 * on a shared host a probe that happened to read a few % low would flatter every % of peak in the table.
 */
public record FmaPeak(double oneThreadGflops, double allThreadsGflops, int threads) {

    /** The peak for t threads: the measured all-thread figure when t is the pool size, else t × one thread. */
    public double forThreads(int t) {
        return t == 1 ? oneThreadGflops : t == threads ? allThreadsGflops : t * oneThreadGflops;
    }

    /** The higher of two measurements of the same pool, thread count by thread count: the peak is the best it did. */
    public FmaPeak max(FmaPeak other) {
        if (other.threads != threads) {
            throw new IllegalArgumentException("peaks of " + threads + " and " + other.threads + " threads");
        }
        return new FmaPeak(Math.max(oneThreadGflops, other.oneThreadGflops),
                Math.max(allThreadsGflops, other.allThreadsGflops), threads);
    }

    /** Measures on a pool of its own of {@code threads} threads, with the probe calibrated once per JVM. */
    public static FmaPeak measure(int threads, BenchClock clock) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            return measure(pool, clock, calibrated());
        }
    }

    private static long calibratedIterations;

    /** {@link #calibrate}, run once per JVM. */
    static synchronized long calibrated() {
        if (calibratedIterations == 0) {
            calibratedIterations = calibrate();
        }
        return calibratedIterations;
    }

    /** Measures with {@code iterations} per probe run (from {@link #calibrate}). */
    public static FmaPeak measure(WorkerPool pool, BenchClock clock, long iterations) {
        double one = median(pool, 1, iterations, clock);
        double all = pool.threads() == 1 ? one : median(pool, pool.threads(), iterations, clock);
        return new FmaPeak(one, all, pool.threads());
    }

    /**
     * Iterations for about 0.1 s on one thread. Many short calls first (at least 1 s and 20,000 calls), so C2
     * compiles the probe as a method: interpreted vector code runs hundreds of times slower.
     */
    public static long calibrate() {
        long end = System.nanoTime() + 1_000_000_000L;
        for (int calls = 0; calls < 20_000 || System.nanoTime() < end; calls++) {
            sink += FmaPeakProbe.spin(200, 1f);
        }
        long iterations = 1_000_000;
        long t0 = System.nanoTime();
        sink += FmaPeakProbe.spin(iterations, 1f);
        long elapsed = Math.max(1, System.nanoTime() - t0);
        return Math.max(10_000, (long) (iterations * (100e6 / elapsed)));
    }

    private static volatile float sink;

    private static double median(WorkerPool pool, int threads, long iterations, BenchClock clock) {
        pool.run(threads, (worker, unit) -> sink += FmaPeakProbe.spin(1000, 1f));   // starts the pool's threads
        BenchClock.refreshThreads();
        double[] gflops = new double[7];
        for (int rep = 0; rep < gflops.length; rep++) {
            long t0 = clock.now(threads);
            pool.run(threads, (worker, unit) -> sink += FmaPeakProbe.spin(iterations, 1f + unit));
            long ns = Math.max(1, clock.now(threads) - t0);
            gflops[rep] = threads * iterations * (double) FmaPeakProbe.FLOPS_PER_ITERATION / ns;
        }
        Arrays.sort(gflops);
        return gflops[gflops.length / 2];
    }
}
