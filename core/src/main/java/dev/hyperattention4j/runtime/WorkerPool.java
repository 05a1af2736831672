package dev.hyperattention4j.runtime;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed pool of platform threads that runs "units" of one job: participants claim unit indices from an atomic
 * counter until none are left (dynamic claiming balances causal work, where later query tiles cost more).
 *
 * <p>The calling thread participates, so a call makes progress even when every pool thread is busy with another
 * caller's job: concurrent callers never deadlock. A call from inside a pool thread (nested parallelism) runs its
 * units inline. Each participant of one job gets a distinct worker id in {@code [0, threads())}, so callers index
 * per-worker scratch by it. Results are deterministic when each unit writes its own outputs.
 *
 * <p>If the calling thread is interrupted, remaining units are skipped, running ones finish, and the call throws
 * {@link CancellationException}; the pool stays usable.
 */
public final class WorkerPool implements AutoCloseable {

    /** The work of one unit. */
    @FunctionalInterface
    public interface UnitTask {
        void run(int worker, int unit);
    }

    private static volatile WorkerPool shared;

    private final int threads;
    private final ExecutorService executor; // threads - 1 helpers; null when threads == 1
    private final ThreadLocal<Boolean> insidePool = ThreadLocal.withInitial(() -> Boolean.FALSE);

    public WorkerPool(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in [1, 1024], got " + threads);
        }
        this.threads = threads;
        if (threads == 1) {
            this.executor = null;
        } else {
            AtomicInteger count = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(() -> {
                    insidePool.set(Boolean.TRUE);
                    r.run();
                }, "ha4j-worker-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            this.executor = new ThreadPoolExecutor(threads - 1, threads - 1, 0L, TimeUnit.MILLISECONDS,
                    new SpinThenParkQueue(), factory);
        }
    }

    /**
     * The process-wide pool: {@code -Dha4j.threads=N}, else {@link Runtime#availableProcessors()}.
     */
    public static WorkerPool shared() {
        WorkerPool p = shared;
        if (p == null) {
            synchronized (WorkerPool.class) {
                p = shared;
                if (p == null) {
                    int n = Integer.getInteger("ha4j.threads", Runtime.getRuntime().availableProcessors());
                    p = shared = new WorkerPool(Math.max(1, n));
                }
            }
        }
        return p;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} for every unit in {@code [0, units)} and returns when all have finished. */
    public void run(int units, UnitTask task) {
        if (units <= 0) {
            return;
        }
        if (executor == null || units == 1 || insidePool.get()) {
            for (int u = 0; u < units; u++) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new CancellationException("interrupted after " + u + " of " + units + " units");
                }
                task.run(0, u);
            }
            return;
        }
        Job job = new Job(units, task);
        int helpers = Math.min(threads - 1, units - 1);
        for (int i = 0; i < helpers; i++) {
            executor.execute(job::participate);
        }
        job.participate();
        job.awaitCompletion();
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /**
     * The helpers' task queue: an idle helper polls it for {@link #SPIN_NANOS} before parking. Kernels issue runs
     * back to back (packing then attention, layer after layer), and waking a parked thread took 40-50 µs here
     * (a 2-unit run of 20 µs units cost 65 µs, 40 µs with the spin), so without it every run lost that much of one
     * thread: FlashAttention on 2 threads ran 5-10 % faster at n = 1024-4096 with it, HyperAttention the same.
     */
    private static final class SpinThenParkQueue extends LinkedBlockingQueue<Runnable> {
        /**
         * {@code -Dha4j.pool.spinMicros=N} (default 200; 0 parks at once, for machines shared with other jobs): how long
         * an idle helper polls for work, and how long a caller whose units are done polls for the helpers' last ones.
         */
        static final long SPIN_NANOS = 1000L * Long.getLong("ha4j.pool.spinMicros", 200);

        @Override
        public Runnable take() throws InterruptedException {
            long deadline = System.nanoTime() + SPIN_NANOS;
            do {
                Runnable task = poll();
                if (task != null) {
                    return task;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                Thread.onSpinWait();
            } while (System.nanoTime() < deadline);
            return super.take();
        }
    }

    private static final class Job {
        final int units;
        final UnitTask task;
        final AtomicInteger nextUnit = new AtomicInteger();
        final AtomicInteger nextWorker = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean cancelled;
        final Thread caller = Thread.currentThread();

        Job(int units, UnitTask task) {
            this.units = units;
            this.task = task;
        }

        void participate() {
            int worker = nextWorker.getAndIncrement();
            int u;
            while (!cancelled && (u = nextUnit.getAndIncrement()) < units) {
                try {
                    if (Thread.currentThread() == caller && caller.isInterrupted()) {
                        cancelled = true;
                    } else {
                        task.run(worker, u);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    cancelled = true;
                } finally {
                    finished.incrementAndGet();
                }
            }
            synchronized (this) {
                notifyAll();
            }
        }

        /** Some claimed unit is still running (units never claimed after a cancel do not count). */
        private boolean unfinished() {
            return finished.get() < Math.min(units, nextUnit.get());
        }

        /** Waits until every claimed unit has finished; units never claimed after a cancel are not waited for. */
        void awaitCompletion() {
            boolean interrupted = false;
            // Spin first: the caller gets here only once every unit is claimed, so the helpers are finishing their
            // last units and touch the counters a few times at most (no cache-line ping-pong over many claims).
            // Parking at once cost the wake-up of this thread, 40-70 µs here, at the end of every run: 2 threads at
            // n = 512 ran 5 % faster with the spin, n = 1024 3 %, HyperAttention the same or 1-3 % faster.
            final long deadline = System.nanoTime() + SpinThenParkQueue.SPIN_NANOS;
            while (unfinished() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            synchronized (this) {
                while (unfinished()) {
                    try {
                        wait(50);
                    } catch (InterruptedException e) {
                        interrupted = true;
                        cancelled = true;
                    }
                }
            }
            Throwable t = failure.get();
            if (interrupted || (cancelled && t == null)) {
                Thread.currentThread().interrupt();
                throw new CancellationException("attention call interrupted");
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
