package dev.hyperattention4j.cli.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times one call repeatedly: a time-based warm-up (same shapes and threads as the measurement, so C2 compiles what
 * is measured), then repetitions of at least {@code minRepSeconds} each (several calls when one is short). Reports
 * the median and range of the per-call time, and the bytes allocated by one warm call across the calling thread and
 * the pool's workers (ThreadMXBean).
 */
final class BenchTimer {
    private final double warmupSeconds;
    private final double minRepSeconds;
    private final int reps;
    private final double maxSecondsPerPoint;
    private final BenchClock clock;

    BenchTimer(double warmupSeconds, double minRepSeconds, int reps, double maxSecondsPerPoint, BenchClock clock) {
        this.clock = clock;
        this.warmupSeconds = warmupSeconds;
        this.minRepSeconds = minRepSeconds;
        this.reps = reps;
        this.maxSecondsPerPoint = maxSecondsPerPoint;
    }

    /** Median, min and max seconds per call over {@code repetitions}; bytes allocated by one warm call. */
    record Timing(double median, double min, double max, int repetitions, long allocatedBytes) {}

    Timing time(Runnable call, int threads) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        long first = System.nanoTime();
        call.run();
        double oneCall = (System.nanoTime() - first) / 1e9;
        while (System.nanoTime() < warmEnd) {
            long t0 = System.nanoTime();
            call.run();
            oneCall = (System.nanoTime() - t0) / 1e9;
        }
        BenchClock.refreshThreads();
        long allocated = Math.max(0, allocatedBy(call) - allocatedBy(() -> { }));   // minus the bean's own arrays
        // slow points (one call of seconds) get fewer repetitions so the default sweep stays near a minute
        int n = Math.max(3, Math.min(reps, (int) (maxSecondsPerPoint / Math.max(oneCall, 1e-9))));
        double[] perCall = new double[n];
        for (int r = 0; r < n; r++) {
            int calls = 0;
            long t0 = System.nanoTime(), t1, c0 = clock.now(threads);
            do {
                call.run();
                calls++;
                t1 = System.nanoTime();
            } while ((t1 - t0) / 1e9 < minRepSeconds);
            perCall[r] = (clock.now(threads) - c0) / 1e9 / calls;
        }
        Arrays.sort(perCall);
        return new Timing(perCall[n / 2], perCall[0], perCall[n - 1], n, allocated);
    }

    /** Bytes allocated during one call by the calling thread and the pool's workers ("ha4j-worker-*"). */
    private static long allocatedBy(Runnable call) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith("ha4j-worker"))
                .mapToLong(Thread::threadId).toArray();
        long before = sum(mx.getThreadAllocatedBytes(ids));
        call.run();
        long after = sum(mx.getThreadAllocatedBytes(ids));
        return after - before;
    }

    private static long sum(long[] xs) {
        long s = 0;
        for (long x : xs) {
            s += Math.max(0, x);
        }
        return s;
    }
}
