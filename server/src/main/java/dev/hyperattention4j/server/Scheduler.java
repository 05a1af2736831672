package dev.hyperattention4j.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * N slots served from one bounded queue. A request that arrives while slots are idle goes to the idle slot whose
 * cache shares the longest prefix with its prompt (the next turn of a conversation finds its own slot, as in
 * llama-server), or to the least recently used one; otherwise it waits in the queue, and when the queue is full it is refused at once (HTTP 429) rather
 * than waiting without bound. A slot that finishes takes the oldest waiting request. Each slot has its own thread.
 */
final class Scheduler implements AutoCloseable {
    private final Deque<GenerationJob> queue = new ArrayDeque<>();
    private final int capacity;
    private final List<Slot> idle;
    private final List<BlockingQueue<GenerationJob>> mailboxes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int slots;
    private final ServerMetrics[] metrics = new ServerMetrics[1];

    Scheduler(List<Slot> slots, int queueCapacity) {
        this.capacity = queueCapacity;
        this.slots = slots.size();
        this.idle = new ArrayList<>(slots);
        for (Slot slot : slots) {
            BlockingQueue<GenerationJob> mailbox = new ArrayBlockingQueue<>(1);
            mailboxes.add(mailbox);
            threads.add(Thread.ofPlatform().daemon().name("ha4j-slot-" + slot.index)
                    .start(() -> serve(slot, mailbox)));
        }
    }

    /** Where finished generations are counted (set once, before the first request). */
    void metrics(ServerMetrics m) {
        metrics[0] = m;
    }

    /** Starts the job on the best idle slot or queues it; false when the queue is full. */
    synchronized boolean submit(GenerationJob job) {
        if (!idle.isEmpty()) {
            Slot best = idle.getFirst();
            int bestPrefix = -1;
            for (Slot s : idle) {   // least recently used first, so ties go to it
                int p = s.commonPrefix(job.request.prompt());
                p = p <= 1 ? 0 : p;   // sharing only BOS is no reason to evict another conversation's cache
                if (p > bestPrefix) {
                    best = s;
                    bestPrefix = p;
                }
            }
            idle.remove(best);
            mailboxes.get(best.index).add(job);
            return true;
        }
        if (queue.size() >= capacity) {
            return false;
        }
        queue.addLast(job);
        return true;
    }

    synchronized int queued() {
        return queue.size();
    }

    synchronized int busy() {
        return slots - idle.size();
    }

    /** After a slot's job: the oldest waiting one, or the slot becomes idle. */
    private synchronized GenerationJob nextFor(Slot slot) {
        GenerationJob next = queue.pollFirst();
        if (next == null) {
            idle.add(slot);
        }
        return next;
    }

    private void serve(Slot slot, BlockingQueue<GenerationJob> mailbox) {
        try {
            GenerationJob job = mailbox.take();
            while (true) {
                if (job.cancelled()) {
                    job.post(new GenerationJob.Failed("cancelled before it started"));
                } else {
                    GenerationJob.Outcome outcome = slot.run(job);
                    if (outcome != null && metrics[0] != null) {
                        metrics[0].finished(outcome);
                    }
                }
                job = nextFor(slot);
                if (job == null) {
                    job = mailbox.take();
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
