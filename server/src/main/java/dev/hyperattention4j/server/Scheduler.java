package dev.hyperattention4j.server;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N slots served from one bounded queue: a request waits for a free slot, and when the queue is full it is refused
 * at once (HTTP 429) rather than waiting without bound. Each slot has its own thread.
 */
final class Scheduler implements AutoCloseable {
    private final BlockingQueue<GenerationJob> queue;
    private final List<Thread> threads;
    private final AtomicInteger busy = new AtomicInteger();
    private final ServerMetrics metrics;

    Scheduler(List<Slot> slots, int queueCapacity, ServerMetrics metrics) {
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.metrics = metrics;
        this.threads = slots.stream().map(slot -> Thread.ofPlatform().daemon().name("ha4j-slot-" + slot.index)
                .start(() -> serve(slot))).toList();
    }

    /** Queues the job; false when the queue is full. */
    boolean submit(GenerationJob job) {
        return queue.offer(job);
    }

    int queued() {
        return queue.size();
    }

    int busy() {
        return busy.get();
    }

    private void serve(Slot slot) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                GenerationJob job = queue.take();
                if (job.cancelled()) {
                    job.post(new GenerationJob.Failed("cancelled before it started"));
                    continue;
                }
                busy.incrementAndGet();
                GenerationJob.Outcome outcome;
                try {
                    outcome = slot.run(job);
                } finally {
                    busy.decrementAndGet();
                }
                if (outcome != null) {
                    metrics.finished(outcome);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
