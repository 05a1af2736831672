package dev.hyperattention4j.cli.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times one call repeatedly: a time-based warm-up (same shapes and threads as the measurement, so C2 compiles what
 * is measured), then repetitions of at least {@code minRepSeconds} each (several calls when one is short); later
 * passes over the same point ({@link #again}) add repetitions. Reports the median and range of the per-call time,
 * and the bytes allocated by one warm call across the calling thread and the pool's workers (ThreadMXBean).
 */
final class BenchTimer {
    private final double warmupSeconds;
    private final double minRepSeconds;
    private final int reps;
    private final double maxSecondsPerPoint;
    private final int minReps;
    private final BenchClock clock;

    /**
     * @param reps               repetitions per pass over a point
     * @param maxSecondsPerPoint fewer repetitions (down to {@code minReps}) when one call is this slow
     */
    BenchTimer(double warmupSeconds, double minRepSeconds, int reps, double maxSecondsPerPoint, int minReps,
               BenchClock clock) {
        this.clock = clock;
        this.minReps = minReps;
        this.warmupSeconds = warmupSeconds;
        this.minRepSeconds = minRepSeconds;
        this.reps = reps;
        this.maxSecondsPerPoint = maxSecondsPerPoint;
    }

    /**
     * Seconds per call of every repetition so far, and the bytes allocated by one warm call. The median, min and max
     * are over all repetitions, which may come from several passes ({@link #plus}).
     */
    record Timing(double[] perCall, long allocatedBytes) {
        double median() {
            double[] x = perCall.clone();
            Arrays.sort(x);
            return x.length % 2 == 1 ? x[x.length / 2] : (x[x.length / 2 - 1] + x[x.length / 2]) / 2;
        }

        double min() {
            return Arrays.stream(perCall).min().orElse(Double.NaN);
        }

        double max() {
            return Arrays.stream(perCall).max().orElse(Double.NaN);
        }

        int repetitions() {
            return perCall.length;
        }

        /** These repetitions and those of a later pass over the same point. */
        Timing plus(Timing later) {
            double[] all = Arrays.copyOf(perCall, perCall.length + later.perCall.length);
            System.arraycopy(later.perCall, 0, all, perCall.length, later.perCall.length);
            return new Timing(all, allocatedBytes);
        }
    }

    /** The first pass over a point: warm-up, the allocation of one warm call, then the repetitions. */
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
        return new Timing(repetitions(call, threads, oneCall), allocated);
    }

    /**
     * A later pass over a point timed before (its code compiled, its one-call time known): one call to bring its
     * data back into cache, then the repetitions.
     */
    Timing again(Runnable call, int threads, double oneCallSeconds) {
        if (oneCallSeconds < minRepSeconds) {
            call.run();
        }
        return new Timing(repetitions(call, threads, oneCallSeconds), 0);
    }

    private double[] repetitions(Runnable call, int threads, double oneCall) {
        // slow points (one call of seconds) get fewer repetitions so the default sweep stays near a minute
        int n = Math.max(minReps, Math.min(reps, (int) (maxSecondsPerPoint / Math.max(oneCall, 1e-9))));
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
        return perCall;
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
