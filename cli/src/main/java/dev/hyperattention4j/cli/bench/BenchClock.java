package dev.hyperattention4j.cli.bench;

import java.lang.management.ManagementFactory;

/**
 * What the benchmark times with. {@link #WALL} is elapsed time, the honest figure on an idle machine. {@link #CPU}
 * is the CPU time of the calling thread and the pool's workers ("ha4j-worker-*") divided by the thread count: on a
 * machine shared with other jobs it measures what the threads did when they ran, so ratios stay meaningful; it does
 * not count time a thread spends idle waiting for others (load imbalance), so it flatters multi-threaded runs.
 */
public enum BenchClock {
    WALL,
    CPU;

    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** A reading in nanoseconds for a job on {@code threads} threads. */
    public long now(int threads) {
        if (this == WALL) {
            return System.nanoTime();
        }
        long sum = 0;
        for (long t : MX.getThreadCpuTime(threadIds())) {
            sum += Math.max(0, t);
        }
        return sum / threads;
    }

    private static long[] ids = {Thread.currentThread().threadId()};

    /** The calling thread and every pool worker ("ha4j-worker-*") seen at the last {@link #refreshThreads}. */
    static synchronized long[] threadIds() {
        return ids;
    }

    /** Looks the pool workers up again: pools start their threads lazily, on their first job. */
    public static synchronized void refreshThreads() {
        long self = Thread.currentThread().threadId();
        long[] workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("ha4j-worker")).mapToLong(Thread::threadId).toArray();
        ids = new long[workers.length + 1];
        ids[0] = self;
        System.arraycopy(workers, 0, ids, 1, workers.length);
    }
}
