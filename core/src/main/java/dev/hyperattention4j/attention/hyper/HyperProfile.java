package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.runtime.WorkerPool;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Optional time breakdown of HyperAttention calls, summed over worker threads (so on T threads the phases add up
 * to about T times the wall time). Pass one to {@link HyperAttention#forward(dev.hyperattention4j.attention.AttentionProblem,
 * SampleSource, HyperProfile)}; timing costs two clock readings per phase of a query chunk.
 *
 * <p>The clock is elapsed time, or with {@code threadCpuTime} each thread's own CPU time, which on a machine shared
 * with other jobs leaves out the time a thread waited for a core (a reading then costs a system call, under 1 µs,
 * against tens of µs for a block). It also counts the flops of the exact pieces it times (4·rows·keys·d each), so
 * that a phase's rate comes from the work actually done, padding and masked keys excluded.
 */
public final class HyperProfile {
    /** The phases of a call. */
    public enum Phase {
        /** LSH projections and sort keys of Q and K (which checks them for NaN and infinity), and the check of V. */
        HASH,
        /** Stable counting sorts of every (batch, head, segment). */
        SORT,
        /** Gathering and packing permuted query, key, value and sample rows for the kernel. */
        GATHER,
        /** The exact block-diagonal part. */
        BLOCKS,
        /** The exact attention over the sampled residual keys. */
        SAMPLES,
        /** Log-sum-exp merges and writing rows back in original order. */
        MERGE,
        /** Exact causal leaves of the recursion (their key packing included) and exact fallbacks. */
        EXACT
    }

    private static final java.lang.management.ThreadMXBean MX =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private final AtomicLongArray nanos = new AtomicLongArray(Phase.values().length);
    private final java.util.concurrent.atomic.AtomicLong fallbackRows = new java.util.concurrent.atomic.AtomicLong();
    private final AtomicLongArray flops = new AtomicLongArray(Phase.values().length);
    private final AtomicLongArray intervals = new AtomicLongArray(Phase.values().length);
    private final boolean threadCpuTime;
    /** Each parallel step's unit times, in unit (claim) order: what {@link #schedule} replays. */
    private final ConcurrentLinkedQueue<long[]> steps = new ConcurrentLinkedQueue<>();
    /** The calling threads' time in whole calls and inside their parallel steps: the rest ran on one thread. */
    private final AtomicLong callNanos = new AtomicLong(), stepNanos = new AtomicLong();

    /** A profile on elapsed time. */
    public HyperProfile() {
        this(false);
    }

    /** A profile on elapsed time, or on each thread's CPU time when {@code threadCpuTime}. */
    public HyperProfile(boolean threadCpuTime) {
        this.threadCpuTime = threadCpuTime;
    }

    /** A reading of this profile's clock in nanoseconds (only differences on one thread mean anything). */
    long now() {
        return threadCpuTime ? MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    void add(Phase phase, long deltaNanos) {
        nanos.addAndGet(phase.ordinal(), deltaNanos);
        intervals.incrementAndGet(phase.ordinal());
    }

    /**
     * How many timed intervals a phase's time is the sum of. Each holds about one clock reading's own cost, which
     * {@link #readingNanos()} measures: a thread-CPU-time reading is a system call (about 5 µs on a VM), so on that
     * clock the readings are a visible part of the short phases.
     */
    public long intervals(Phase phase) {
        return intervals.get(phase.ordinal());
    }

    /**
     * The cost of one reading of this profile's clock as this clock sees it: the smallest mean difference between
     * consecutive readings over a few batches (the smallest, so that a batch in which the thread lost its core does
     * not count).
     */
    public double readingNanos() {
        double best = Double.POSITIVE_INFINITY;
        for (int batch = 0; batch < 5; batch++) {
            long first = now(), last = first;
            for (int i = 0; i < 200; i++) {
                last = now();
            }
            best = Math.min(best, (last - first) / 200.0);
        }
        return best;
    }

    void addFallbackRows(long rows) {
        fallbackRows.addAndGet(rows);
    }

    /**
     * Output rows whose estimated normaliser was degenerate and that were recomputed exactly (their time is in
     * {@link Phase#EXACT}); 0 for ordinary inputs. See {@link HyperAttention#fallbackRows()}.
     */
    public long fallbackRows() {
        return fallbackRows.get();
    }

    void addFlops(Phase phase, long count) {
        flops.addAndGet(phase.ordinal(), count);
    }

    /** Flops of the exact attention done in a phase (4·rows·keys·d per kernel call; exp and merges not counted). */
    public long flops(Phase phase) {
        return flops.get(phase.ordinal());
    }

    /** Accumulated nanoseconds of a phase. */
    public long nanos(Phase phase) {
        return nanos.get(phase.ordinal());
    }

    /** Sum over all phases. */
    public long totalNanos() {
        long t = 0;
        for (Phase p : Phase.values()) {
            t += nanos(p);
        }
        return t;
    }

    public void reset() {
        for (int i = 0; i < nanos.length(); i++) {
            nanos.set(i, 0);
            flops.set(i, 0);
            intervals.set(i, 0);
        }
        fallbackRows.set(0);
        steps.clear();
        callNanos.set(0);
        stepNanos.set(0);
    }

    /** One parallel step on {@code pool}, each unit's time recorded (two more clock readings per unit). */
    void runTraced(WorkerPool pool, int units, WorkerPool.UnitTask task) {
        long[] unitNanos = new long[Math.max(0, units)];
        long t0 = now();
        pool.run(units, (worker, unit) -> {
            long a = now();
            task.run(worker, unit);
            unitNanos[unit] = now() - a;
        });
        stepNanos.addAndGet(now() - t0);
        steps.add(unitNanos);
    }

    /** Adds a whole call's time on its calling thread (parallel steps included). */
    void addCall(long nanos) {
        callNanos.addAndGet(nanos);
    }

    /**
     * The recorded calls replayed on {@code threads} threads: each parallel step's units handed out in order to
     * whichever thread is free first (the pool's claiming), the steps one after the other, and the time outside the
     * steps on one thread. Meaningful from a profile taken on one thread (the unit times are then free of waits for
     * a shared core); it shows the idle tails that the steps' barriers and the serial parts cost on more threads,
     * memory contention aside.
     */
    public Schedule schedule(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        long serial = Math.max(0, callNanos.get() - stepNanos.get());
        return replay(steps, serial, threads);
    }

    /** {@link #schedule}'s replay of {@code steps} (unit times in claim order) and {@code serial} time. */
    static Schedule replay(Iterable<long[]> steps, long serial, int threads) {
        long work = 0, elapsed = 0, count = 0;
        long[] free = new long[threads];
        for (long[] step : steps) {
            int workers = Math.min(threads, step.length);
            java.util.Arrays.fill(free, 0, workers, 0);
            for (long unit : step) {
                int first = 0;
                for (int w = 1; w < workers; w++) {
                    if (free[w] < free[first]) {
                        first = w;
                    }
                }
                free[first] += unit;
                work += unit;
            }
            long span = 0;
            for (int w = 0; w < workers; w++) {
                span = Math.max(span, free[w]);
            }
            elapsed += span;
            count++;
        }
        return new Schedule(threads, count, serial, work, elapsed + serial);
    }

    /**
     * A simulated schedule ({@link #schedule}), summed over the recorded calls: {@code steps} parallel steps,
     * {@code serialNanos} outside them, {@code workNanos} of units, {@code elapsedNanos} on {@code threads} threads.
     */
    public record Schedule(int threads, long steps, long serialNanos, long workNanos, long elapsedNanos) {
        /** Thread time lost at the steps' ends: threads × their spans − their work. */
        public long tailNanos() {
            return threads * (elapsedNanos - serialNanos) - workNanos;
        }

        /** The idle share of threads × elapsed: the tails and the other threads' wait during the serial parts. */
        public double idleShare() {
            return elapsedNanos == 0 ? 0 : 1 - (double) (workNanos + serialNanos) / ((double) threads * elapsedNanos);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        long total = Math.max(1, totalNanos());
        for (Phase p : Phase.values()) {
            sb.append(String.format("%s %.1f ms (%.0f%%)  ", p.name().toLowerCase(java.util.Locale.ROOT),
                    nanos(p) / 1e6, 100.0 * nanos(p) / total));
        }
        sb.append("fallback rows ").append(fallbackRows());
        return sb.toString();
    }
}
