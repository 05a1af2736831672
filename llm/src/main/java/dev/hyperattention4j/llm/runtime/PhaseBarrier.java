package dev.hyperattention4j.llm.runtime;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Runs a fixed sequence of phases inside one pool job, each phase split into units that any participant may
 * claim. A participant runs the units it claims, then waits until every unit of the phase has finished. Nobody ever
 * waits for a participant that has not arrived: when a helper thread starts late (or never), the participants
 * that are present claim all the units themselves, so the job cannot deadlock; a late helper finds the claimed
 * counters exhausted and passes through. Replaces one pool hand-off per matrix product of a decode step (each a
 * thread wake-up, dearer than the product of a small model) with one hand-off per token.
 */
final class PhaseBarrier {
    /** Work of one unit of a phase. */
    @FunctionalInterface
    interface Unit {
        void run(int worker, int unit);
    }

    private final AtomicIntegerArray claimed;
    private final AtomicIntegerArray finished;

    PhaseBarrier(int maxPhases) {
        claimed = new AtomicIntegerArray(maxPhases);
        finished = new AtomicIntegerArray(maxPhases);
    }

    int capacity() {
        return claimed.length();
    }

    /** Clears the counters of phases [0, phases); call before the job starts. */
    void reset(int phases) {
        for (int p = 0; p < phases; p++) {
            claimed.set(p, 0);
            finished.set(p, 0);
        }
    }

    /** Runs this participant's share of phase {@code phase} ({@code units} units), then waits for the rest. */
    void phase(int phase, int units, int worker, Unit task) {
        int u;
        while ((u = claimed.getAndIncrement(phase)) < units) {
            try {
                task.run(worker, u);
            } finally {
                finished.incrementAndGet(phase);
            }
        }
        int spins = 0;
        while (finished.get(phase) < units) {
            if (++spins < 1 << 12) {
                Thread.onSpinWait();
            } else {
                Thread.yield();   // the other participant may be descheduled on a busy machine
            }
        }
    }
}
