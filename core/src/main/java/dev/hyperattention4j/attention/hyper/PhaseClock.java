package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * The profiling hook of the HyperAttention passes: time and flops per {@link Phase}. A call without a
 * {@link HyperProfile} gets {@link #OFF}, whose methods do nothing, so the passes never test for a profile.
 */
interface PhaseClock {
    /** Reads nothing and records nothing. */
    PhaseClock OFF = new PhaseClock() {
        @Override
        public long now() {
            return 0;
        }

        @Override
        public void add(Phase phase, long from, long to) {
        }

        @Override
        public void flops(Phase phase, long count) {
        }
    };

    /** The clock that records into {@code profile}, or {@link #OFF} when it is null. */
    static PhaseClock of(HyperProfile profile) {
        if (profile == null) {
            return OFF;
        }
        return new PhaseClock() {
            @Override
            public long now() {
                return profile.now();
            }

            @Override
            public void add(Phase phase, long from, long to) {
                profile.add(phase, to - from);
            }

            @Override
            public void flops(Phase phase, long count) {
                profile.addFlops(phase, count);
            }

            @Override
            public void run(WorkerPool pool, int units, WorkerPool.UnitTask task) {
                profile.runTraced(pool, units, task);
            }
        };
    }

    /** A reading of the clock (0 for {@link #OFF}); only differences on one thread mean anything. */
    long now();

    /** Adds {@code to − from} nanoseconds to a phase. */
    void add(Phase phase, long from, long to);

    /** Adds the time since {@code from} to a phase. */
    default void add(Phase phase, long from) {
        add(phase, from, now());
    }

    /** Adds the time since {@code from} to a phase and returns the reading it took (the next phase's start). */
    default long lap(Phase phase, long from) {
        long now = now();
        add(phase, from, now);
        return now;
    }

    /** Counts the 4·rows·keys·d flops of one exact kernel call. */
    default void kernelFlops(Phase phase, int rows, int keys, int d) {
        flops(phase, 4L * rows * keys * d);
    }

    /** Adds flops to a phase. */
    void flops(Phase phase, long count);

    /**
     * Runs one parallel step on {@code pool}; a profile also records each unit's time, from which it simulates the
     * step on any thread count ({@link HyperProfile#schedule}).
     */
    default void run(WorkerPool pool, int units, WorkerPool.UnitTask task) {
        pool.run(units, task);
    }
}
