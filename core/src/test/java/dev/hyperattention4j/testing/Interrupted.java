package dev.hyperattention4j.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A long call interrupted while it runs: what it threw, how many milliseconds it took to return after the interrupt,
 * and whether its thread was still running when the test stopped waiting.
 */
public record Interrupted(Throwable thrown, long stopMillis, boolean stillRunning) {
    /** A call that may throw anything. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    /**
     * Runs {@code call} on a new thread named {@code name}, interrupts it {@code delayMillis} after it started and
     * waits at most {@code joinMillis} for it to end.
     */
    public static Interrupted after(long delayMillis, long joinMillis, String name, Call call)
            throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            started.countDown();
            try {
                call.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, name);
        t.start();
        started.await();
        Thread.sleep(delayMillis);
        long interruptedAt = System.nanoTime();
        t.interrupt();
        t.join(joinMillis);
        return new Interrupted(thrown.get(), (System.nanoTime() - interruptedAt) / 1_000_000, t.isAlive());
    }
}
