package dev.hyperattention4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Callers on their own threads, released together, each running {@code rounds} calls that are compared with a
 * sequential reference: caller i's round r runs job (i + r) mod callers, so every caller meets every job.
 */
public final class ConcurrentCallers {
    /** One job of the test, checked against its sequential result. */
    @FunctionalInterface
    public interface Job {
        /** Runs job {@code which} and returns whether its result matched the sequential one. */
        boolean matches(int which) throws Exception;
    }

    private ConcurrentCallers() {}

    /**
     * The number of matching rounds of each caller, in caller order. A caller still running after
     * {@code timeoutSeconds} (a deadlock) fails with a {@link java.util.concurrent.TimeoutException} instead of
     * hanging the build.
     */
    public static List<Integer> matchingRounds(int callers, int rounds, long timeoutSeconds, Job job)
            throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                int first = i;
                futures.add(threads.submit(() -> {
                    start.await();
                    int matching = 0;
                    for (int round = 0; round < rounds; round++) {
                        matching += job.matches((first + round) % callers) ? 1 : 0;
                    }
                    return matching;
                }));
            }
            start.countDown();
            List<Integer> counts = new ArrayList<>();
            for (Future<Integer> f : futures) {
                counts.add(f.get(timeoutSeconds, TimeUnit.SECONDS));
            }
            return counts;
        } finally {
            threads.shutdownNow();
        }
    }
}
