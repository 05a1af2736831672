package dev.hyperattention4j.llm.testing;

import dev.hyperattention4j.runtime.WorkerPool;

/** Worker pools shared by the test classes of this module; their threads are daemons, so they are never closed. */
public final class TestPools {
    private static final WorkerPool TWO = new WorkerPool(2);

    private TestPools() {}

    /** A pool of two threads: the parallel paths run, and results must equal any other thread count's. */
    public static WorkerPool twoThreads() {
        return TWO;
    }
}
