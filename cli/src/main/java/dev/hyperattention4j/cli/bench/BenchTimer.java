package dev.hyperattention4j.cli.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * The one timing harness of the benchmarks and experiments. An instance times one call repeatedly: a time-based
 * warm-up (same shapes and threads as the measurement, so C2 compiles what is measured), then repetitions of at least
 * {@code minRepSeconds} each (several calls when one is short); later passes over the same point ({@link #again}) add
 * repetitions. Reports the median and range of the per-call time, and the bytes allocated by one warm call across the
 * calling thread and the pool's workers (ThreadMXBean). The static methods are the same primitives for the commands
 * that schedule their own runs (alternating two methods, forward then backward, a model run's attention share):
 * {@link #warmUp}, {@link #seconds} of one run on a {@link BenchClock}, {@link #median}, {@link Total} and
 * {@link #allocatedBytes}.
 *
 * @param reps               repetitions per pass over a point
 * @param maxSecondsPerPoint fewer repetitions (down to {@code minReps}) when one call is this slow
 */
public record BenchTimer(double warmupSeconds, double minRepSeconds, int reps, double maxSecondsPerPoint, int minReps,
                         BenchClock clock) {

    /**
     * Seconds per call of every repetition so far, and the bytes allocated by one warm call. The median, min and max
     * are over all repetitions, which may come from several passes ({@link #plus}).
     */
    record Timing(double[] perCall, long allocatedBytes) {
        double median() {
            return BenchTimer.median(perCall);
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

    /** Runs {@code task} until {@code seconds} have passed and at least {@code minRuns} times: JIT warm-up by time. */
    public static void warmUp(Runnable task, double seconds, int minRuns) {
        long start = System.nanoTime();
        int runs = 0;
        while (runs < minRuns || System.nanoTime() - start < seconds * 1e9) {
            task.run();
            runs++;
        }
    }

    /** Seconds one run of {@code task} takes on {@code clock} (for a job on {@code threads} threads). */
    public static double seconds(Runnable task, BenchClock clock, int threads) {
        long t0 = clock.now(threads);
        task.run();
        return (clock.now(threads) - t0) / 1e9;
    }

    /** The median (the mean of the middle two for an even count; NaN for none). */
    public static double median(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** {@link #median(double[])} of a list. */
    public static double median(java.util.List<Double> x) {
        return median(x.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Wall time and count of many calls added up (thread-safe): e.g. the attention share of a model run. */
    public static final class Total {
        private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();

        /** Runs {@code call} and adds its wall time. */
        public void add(Runnable call) {
            long t0 = System.nanoTime();
            call.run();
            nanos.addAndGet(System.nanoTime() - t0);
            calls.incrementAndGet();
        }

        public double seconds() {
            return nanos.get() / 1e9;
        }

        public long calls() {
            return calls.get();
        }

        public void reset() {
            nanos.set(0);
            calls.set(0);
        }
    }

    /** Bytes allocated so far by every live thread (HotSpot's per-thread counters; 0 on other JVMs). */
    public static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx) {
            return sum(mx.getThreadAllocatedBytes(mx.getAllThreadIds()));
        }
        return 0;
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
