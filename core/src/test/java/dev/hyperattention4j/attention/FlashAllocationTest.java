package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A warm FlashAttention call allocates only its job bookkeeping (a lambda, the pool's job object): no per-call
 * scratch, and no boxed vectors (which would show up as megabytes if C2 failed to inline the vector code).
 */
class FlashAllocationTest {

    @Test
    void warmCallAllocatesAlmostNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random r = new Random(2);
        FloatTensor q = TestTensors.gaussian(r, 1, 1, 2, 640, 64), k = TestTensors.gaussian(r, 1, 1, 1, 640, 64);
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, 640, 64);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
        try (WorkerPool pool = new WorkerPool(2)) {
            FlashAttention flash = new FlashAttention(pool);
            long deadline = System.nanoTime() + 2_000_000_000L;   // warm up by time so C2 compiles the kernel
            while (System.nanoTime() < deadline) {
                flash.forward(p);
            }
            long[] ids = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t == Thread.currentThread() || t.getName().startsWith("ha4j-worker"))
                    .mapToLong(Thread::threadId).toArray();
            assertThat(ids).hasSize(2);
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {        // minimum over a few calls: ignores a stray JIT or TLAB event
                long before = sum(mx.getThreadAllocatedBytes(ids));
                flash.forward(p);
                long after = sum(mx.getThreadAllocatedBytes(ids));
                best = Math.min(best, after - before);
            }
            assertThat(best).as("bytes allocated by a warm call").isLessThan(4096);
        }
    }

    private static long sum(long[] xs) {
        long s = 0;
        for (long x : xs) {
            s += x;
        }
        return s;
    }
}
